/**
 * A queue of simulated copies kept in typed arrays, outside the JavaScript heap: about 330 bytes a copy,
 * and no work for the garbage collector however many wait. A pre-rendered tape (SourceReplica.prerender)
 * holds hundreds of thousands of copies for a while; as objects they cost ~1 KB each and a collector
 * that marks them for seconds. Delivery rebuilds each copy as a plain MarketTick (short-lived).
 */
import type { Exchange, MarketTick } from '@mdhub/protocol';
import { FLOAT_FIELDS } from '@mdhub/protocol';
import type { BadTickKind } from './replica.js';

/** Strings of a copy (instrument, trading day), shared by every copy that has the same ones. */
interface Strings {
  symbol: string;
  exchange: Exchange;
  name: string;
  trading_day: string;
}

const NF = FLOAT_FIELDS.length;
/** Doubles per row: arrival, emitMs, datetime, localtime, then FLOAT_FIELDS in order. */
const ROW = 4 + NF;
const CHUNK_ROWS = 16_384;

/** One queued copy as {@link PackedCopies.shift} returns it. */
export interface UnpackedCopy {
  arrival: number;
  emitMs: number;
  tick: MarketTick;
  bad: BadTickKind | null;
}

export class PackedCopies {
  private readonly nums: Float64Array[] = [];
  /** Per row: index into `strings` (high bits) and the bad kind + 1 (low 8 bits). */
  private readonly refs: Int32Array[] = [];
  private readonly strings: Strings[] = [];
  private readonly stringIds = new Map<string, number>();
  private readonly lastBySymbol = new Map<string, number>();
  private readonly kinds: (BadTickKind | null)[] = [null];
  private head = 0;
  private tail = 0;
  /** Chunks dropped from the front (their rows are consumed). */
  private base = 0;

  constructor(private readonly gatewayName: string) {}

  get size(): number {
    return this.tail - this.head;
  }

  /** Arrival time of the oldest queued copy; undefined when empty. */
  peekArrival(): number | undefined {
    if (this.head === this.tail) return undefined;
    const r = this.head - this.base;
    return this.nums[(r / CHUNK_ROWS) | 0]![(r % CHUNK_ROWS) * ROW];
  }

  push(arrival: number, emitMs: number, t: MarketTick, bad: BadTickKind | null): void {
    const r = this.tail - this.base;
    const c = (r / CHUNK_ROWS) | 0;
    if (c === this.nums.length) {
      this.nums.push(new Float64Array(CHUNK_ROWS * ROW));
      this.refs.push(new Int32Array(CHUNK_ROWS));
    }
    const f = this.nums[c]!;
    const o = (r % CHUNK_ROWS) * ROW;
    f[o] = arrival;
    f[o + 1] = emitMs;
    f[o + 2] = t.datetime;
    f[o + 3] = t.localtime;
    for (let j = 0; j < NF; j++) f[o + 4 + j] = t[FLOAT_FIELDS[j]!];
    let k = this.kinds.indexOf(bad);
    if (k < 0) k = this.kinds.push(bad) - 1;
    this.refs[c]![r % CHUNK_ROWS] = (this.stringsId(t) << 8) | k;
    this.tail++;
  }

  /** Removes and returns the oldest copy (undefined when empty), rebuilt as a MarketTick. */
  shift(): UnpackedCopy | undefined {
    if (this.head === this.tail) return undefined;
    const r = this.head - this.base;
    const c = (r / CHUNK_ROWS) | 0;
    const f = this.nums[c]!;
    const o = (r % CHUNK_ROWS) * ROW;
    const ref = this.refs[c]![r % CHUNK_ROWS]!;
    const s = this.strings[ref >>> 8]!;
    const tick: MarketTick = {
      symbol: s.symbol, exchange: s.exchange, datetime: f[o + 2]!, trading_day: s.trading_day, name: s.name,
      volume: f[o + 4]!, turnover: f[o + 5]!, open_interest: f[o + 6]!, last_price: f[o + 7]!, last_volume: f[o + 8]!,
      limit_up: f[o + 9]!, limit_down: f[o + 10]!, open_price: f[o + 11]!, high_price: f[o + 12]!, low_price: f[o + 13]!,
      pre_close: f[o + 14]!, pre_settlement: f[o + 15]!, settlement: f[o + 16]!, average_price: f[o + 17]!,
      pre_open_interest: f[o + 18]!,
      bid_price_1: f[o + 19]!, bid_price_2: f[o + 20]!, bid_price_3: f[o + 21]!, bid_price_4: f[o + 22]!, bid_price_5: f[o + 23]!,
      ask_price_1: f[o + 24]!, ask_price_2: f[o + 25]!, ask_price_3: f[o + 26]!, ask_price_4: f[o + 27]!, ask_price_5: f[o + 28]!,
      bid_volume_1: f[o + 29]!, bid_volume_2: f[o + 30]!, bid_volume_3: f[o + 31]!, bid_volume_4: f[o + 32]!, bid_volume_5: f[o + 33]!,
      ask_volume_1: f[o + 34]!, ask_volume_2: f[o + 35]!, ask_volume_3: f[o + 36]!, ask_volume_4: f[o + 37]!, ask_volume_5: f[o + 38]!,
      localtime: f[o + 3]!, gateway_name: this.gatewayName,
    };
    const out = { arrival: f[o]!, emitMs: f[o + 1]!, tick, bad: this.kinds[ref & 0xff]! };
    this.head++;
    if (r + 1 === CHUNK_ROWS) {
      // the front chunk is consumed: release it
      this.nums.shift();
      this.refs.shift();
      this.base += CHUNK_ROWS;
    }
    return out;
  }

  private stringsId(t: MarketTick): number {
    // Most copies repeat their instrument's last strings: look up by symbol, then compare.
    const last = this.lastBySymbol.get(t.symbol);
    if (last !== undefined) {
      const s = this.strings[last]!;
      if (s.exchange === t.exchange && s.trading_day === t.trading_day && s.name === t.name) return last;
    }
    const key = `${t.symbol}\u0000${t.exchange}\u0000${t.trading_day}\u0000${t.name}`;
    let id = this.stringIds.get(key);
    if (id === undefined) {
      id = this.strings.push({ symbol: t.symbol, exchange: t.exchange, name: t.name, trading_day: t.trading_day }) - 1;
      this.stringIds.set(key, id);
    }
    this.lastBySymbol.set(t.symbol, id);
    return id;
  }
}
