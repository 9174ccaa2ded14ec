import { Decoder, Encoder } from '@msgpack/msgpack';
import { ProtocolError } from './errors.js';
import { MIX, STATE_KEY_SEED1, STATE_KEY_SEED2 } from './state-key.js';
import type { MarketTick } from './tick.js';
import { EXCHANGES, FLOAT_FIELDS, STATE_KEY_FIELDS } from './tick.js';

/**
 * Gateway → core link framing ("mdb3"), internal to one machine (never the public wire). One ZeroMQ
 * message carries everything a gateway had ready in one event-loop turn:
 *
 *   bytes 0..3   magic `mdb3`
 *   bytes 4..7   H = length of the header (uint32 LE)
 *   H bytes      msgpack `[run_id, gateway_id, batch_seq, sent_ns, n, table, first_id, new_strings[]]`
 *   pad to a multiple of 8 from the start of the message
 *   n × 37 float64 LE   per tick: datetime, localtime, then FLOAT_FIELDS in order
 *   n × 5 uint32 LE     per tick: string ids of symbol, exchange, trading_day, name, gateway_name
 *
 * Strings (instruments, names, exchanges, trading day, gateway) are sent once per link, not once per tick
 * or per batch: the sender numbers each new string and puts it in `new_strings`, whose first element has
 * id `first_id`; later batches refer to it by id. `first_id` 0 starts a fresh table, numbered `table`
 * (the first batch of a link, and a periodic keyframe, so a receiver that lost a batch recovers); a batch
 * of a table the receiver never saw start has its older ids unknown, never taken from another table.
 * The receiver keeps one
 * table per link ({@link BatchDecoder}) and interns strings, so every tick of an instrument carries the
 * same string objects (cheap map lookups downstream). sent_ns is the gateway's monotonic clock
 * (CLOCK_MONOTONIC, shared by every process of the machine, `process.hrtime.bigint()`) in nanoseconds,
 * read when the batch's first tick was handed to the link: the gateway-receive stamp of every tick of the
 * batch.
 */
export const BATCH_TAG = 'mdb3';
const MAGIC = Buffer.from(BATCH_TAG, 'latin1');
const NUMS = 2 + FLOAT_FIELDS.length;
const STRS = 5;
const headerEncoder = new Encoder();
const headerDecoder = new Decoder();

export interface BatchHeader {
  runId: string;
  gatewayId: string;
  batchSeq: number;
  sentNs: number;
}

export interface DecodedBatch extends BatchHeader {
  ticks: MarketTick[];
  /** Ticks of the batch that were malformed, with why; the rest of the batch is kept. */
  bad: Array<{ index: number; reason: string }>;
}

type NumWriter = (t: MarketTick, dv: DataView, off: number) => void;
type TickBuilder = (dv: DataView, off: number, symbol: string, exchange: string, tradingDay: string, name: string, gw: string) => MarketTick;

/** Generated from FLOAT_FIELDS: named property loads, fixed offsets. */
const writeNums: NumWriter = new Function('t', 'dv', 'o', [
  'dv.setFloat64(o, +t.datetime, true);',
  'dv.setFloat64(o + 8, +t.localtime, true);',
  ...FLOAT_FIELDS.map((f, i) => `dv.setFloat64(o + ${(i + 2) * 8}, +t.${f}, true);`),
].join('\n')) as NumWriter;

/**
 * Generated from FLOAT_FIELDS: every tick is one object literal with every field (hub metadata included,
 * zeroed), so all ticks share one hidden class and stay in V8's fast-properties mode.
 */
const buildTick: TickBuilder = new Function('dv', 'o', 'symbol', 'exchange', 'trading_day', 'name', 'gateway_name', [
  'return { symbol, exchange, datetime: dv.getFloat64(o, true), trading_day, name,',
  ...FLOAT_FIELDS.map((f, i) => `  ${f}: dv.getFloat64(o + ${(i + 2) * 8}, true),`),
  '  localtime: dv.getFloat64(o + 8, true), gateway_name,',
  "  seq: 0, iseq: 0, source: '', gw_recv_ts: 0, hub_recv_ts: 0, hub_pub_ts: 0, run_id: '' };",
].join('\n')) as TickBuilder;

export interface BatchEncoderOptions {
  /** Start a fresh string table at least this often (ms; default 10 s), so a receiver that lost a batch recovers. */
  keyframeMs?: number;
  /** Start a fresh table when it holds this many strings (default 1M). */
  maxStrings?: number;
}

/** The sending side of one link: numbers strings once per link (see the frame layout above). */
export class BatchEncoder {
  private readonly ids = new Map<string, number>();
  /** Per symbol id: the instrument's last name and its id (one lookup per tick instead of two). */
  private readonly nameOf: unknown[] = [];
  private readonly nameIdOf: number[] = [];
  private readonly keyframeMs: number;
  private readonly maxStrings: number;
  private keyframeAt = 0;
  /** Number of the current table (random start, so a new sender never continues an old sender's table). */
  private table = Math.floor(Math.random() * 0x1_0000_0000);

  constructor(opts: BatchEncoderOptions = {}) {
    this.keyframeMs = opts.keyframeMs ?? 10_000;
    this.maxStrings = opts.maxStrings ?? 1_000_000;
  }

  encode(h: BatchHeader, ticks: readonly MarketTick[]): Buffer {
    const now = performance.now();
    if (this.ids.size >= this.maxStrings || now - this.keyframeAt >= this.keyframeMs || this.keyframeAt === 0) {
      this.ids.clear();
      this.nameOf.length = 0;
      this.nameIdOf.length = 0;
      this.keyframeAt = now;
      this.table = (this.table + 1) >>> 0;
    }
    const ids = this.ids;
    const firstId = ids.size;
    const fresh: string[] = [];
    const n = ticks.length;
    const idx = new Uint32Array(n * STRS);
    const id = (s: unknown): number => {
      const v = typeof s === 'string' ? s : '';
      let i = ids.get(v);
      if (i === undefined) {
        i = ids.size;
        ids.set(v, i);
        fresh.push(v);
      }
      return i;
    };
    // Consecutive ticks mostly share exchange, trading day and gateway, and an instrument keeps its name:
    // compare with the previous value before looking a string up.
    let ex: unknown = null;
    let exId = 0;
    let td: unknown = null;
    let tdId = 0;
    let gw: unknown = null;
    let gwId = 0;
    const nameOf = this.nameOf;
    const nameIdOf = this.nameIdOf;
    for (let k = 0; k < n; k++) {
      const t = ticks[k]!;
      const o = k * STRS;
      const symId = id(t.symbol);
      let nameId = nameIdOf[symId];
      if (nameId === undefined || nameOf[symId] !== t.name) {
        nameId = id(t.name);
        nameOf[symId] = t.name;
        nameIdOf[symId] = nameId;
      }
      if (t.exchange !== ex) { ex = t.exchange; exId = id(ex); }
      if (t.trading_day !== td) { td = t.trading_day; tdId = id(td); }
      if (t.gateway_name !== gw) { gw = t.gateway_name; gwId = id(gw); }
      idx[o] = symId;
      idx[o + 1] = exId;
      idx[o + 2] = tdId;
      idx[o + 3] = nameId;
      idx[o + 4] = gwId;
    }
    const header = headerEncoder.encode([h.runId, h.gatewayId, h.batchSeq, h.sentNs, n, this.table, firstId, fresh]);
    const numsAt = (8 + header.length + 7) & ~7;
    const idxAt = numsAt + n * NUMS * 8;
    const buf = Buffer.allocUnsafe(idxAt + n * STRS * 4);
    MAGIC.copy(buf, 0);
    buf.writeUInt32LE(header.length, 4);
    buf.set(header, 8);
    buf.fill(0, 8 + header.length, numsAt);
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let k = 0; k < n; k++) writeNums(ticks[k]!, dv, numsAt + k * NUMS * 8);
    for (let k = 0; k < n * STRS; k++) dv.setUint32(idxAt + k * 4, idx[k]!, true);
    return buf;
  }
}

/** Encodes one self-contained batch (its own fresh string table). Links use a {@link BatchEncoder}. */
export function encodeBatch(h: BatchHeader, ticks: readonly MarketTick[]): Buffer {
  return new BatchEncoder().encode(h, ticks);
}

function bad(reason: string, details: Record<string, unknown> = {}): ProtocolError {
  return new ProtocolError('MDH_ERR_WIRE_BAD_BATCH', { reason, ...details });
}

/** Most strings one link's table may hold (a sender keyframes long before: BatchEncoderOptions.maxStrings). */
const MAX_LINK_STRINGS = 2_000_000;
/** Longest string a link may define (UTF-16 units): symbols, names, exchanges, days and ids are short. */
const MAX_STRING_LENGTH = 256;

/** Most strings a receiver keeps interned (beyond it, strings are used as they arrive). */
const MAX_INTERNED = 250_000;

/**
 * Shared by a receiver's links: one string object per distinct string, so every tick of an instrument,
 * from every source, carries the same symbol and exchange objects.
 */
export class StringInterner {
  private readonly map = new Map<string, string>();

  intern(s: string): string {
    const hit = this.map.get(s);
    if (hit !== undefined) return hit;
    if (this.map.size < MAX_INTERNED) this.map.set(s, s);
    return s;
  }

  get size(): number {
    return this.map.size;
  }
}

/** The receiving side of one link: keeps the link's string table between batches. */
export class BatchDecoder {
  private strings: string[] = [];
  private table = -1;
  /** Per string id: 1 when the string is a known exchange code. */
  private exchangeOk = new Uint8Array(64);
  /** Ticks that referred to a string id the receiver never got (a lost batch; recovers at the next keyframe). */
  unknownIds = 0;

  constructor(private readonly interner: StringInterner = new StringInterner()) {}

  /**
   * Opens a link message: checks the frame, learns its new strings and returns a view that reads ticks in
   * place (a receiver can look at a tick's datetime, volume and state key before building it). Throws
   * MDH_ERR_WIRE_BAD_BATCH when the frame itself is wrong. With `expectRunId`, a frame of another run is
   * returned without learning its strings (the caller drops it; this link's table stays intact).
   */
  open(msg: Uint8Array, expectRunId?: string): BatchView {
    if (msg.length < 8) throw bad('short frame');
    for (let i = 0; i < 4; i++) if (msg[i] !== MAGIC[i]) throw bad('not an mdb3 frame');
    const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
    const hlen = dv.getUint32(4, true);
    if (8 + hlen > msg.length) throw bad('header overruns the frame');
    let header: unknown;
    try {
      header = headerDecoder.decode(msg.subarray(8, 8 + hlen));
    } catch (err) {
      throw new ProtocolError('MDH_ERR_WIRE_BAD_BATCH', { reason: 'header is not msgpack' }, err);
    }
    if (!Array.isArray(header) || header.length !== 8) throw bad('bad header');
    const [runId, gatewayId, batchSeq, sentNs, n, table, firstId, fresh] = header as unknown[];
    if (typeof runId !== 'string' || typeof gatewayId !== 'string' || typeof batchSeq !== 'number' || typeof sentNs !== 'number' ||
        typeof n !== 'number' || !Number.isInteger(n) || n < 0 || typeof table !== 'number' || typeof firstId !== 'number' || !Number.isInteger(firstId) ||
        firstId < 0 || !Array.isArray(fresh) || fresh.some((s) => typeof s !== 'string')) {
      throw bad('bad header');
    }
    const numsAt = (8 + hlen + 7) & ~7;
    const idxAt = numsAt + n * NUMS * 8;
    const end = idxAt + n * STRS * 4;
    if (end !== msg.length) throw bad(end > msg.length ? 'body overruns the frame' : 'trailing bytes after the body', { n });
    if (firstId + (fresh as string[]).length > MAX_LINK_STRINGS) throw bad('string table too large', { firstId, strings: (fresh as string[]).length });
    if ((fresh as string[]).some((s) => s.length > MAX_STRING_LENGTH)) throw bad('string too long', { max: MAX_STRING_LENGTH });
    if (expectRunId === undefined || runId === expectRunId) this.learn(table, firstId, fresh as string[]);
    return new BatchView({ runId, gatewayId, batchSeq, sentNs }, n, dv, numsAt, idxAt, this.strings, this.exchangeOk, this);
  }

  /** Decodes a link message into ticks (see {@link open}). */
  decode(msg: Uint8Array): DecodedBatch {
    const v = this.open(msg);
    const batch: DecodedBatch = { runId: v.runId, gatewayId: v.gatewayId, batchSeq: v.batchSeq, sentNs: v.sentNs, ticks: [], bad: [] };
    for (let k = 0; k < v.n; k++) {
      const problem = v.problem(k);
      if (problem !== null) {
        batch.bad.push({ index: k, reason: problem });
        continue;
      }
      batch.ticks.push(v.tick(k));
    }
    return batch;
  }

  /**
   * Adds the batch's new strings at `firstId`. 0 starts table `table`; ids below `firstId` of a table whose
   * start never arrived, and ids skipped by a lost batch, stay unknown until the next keyframe.
   */
  private learn(table: number, firstId: number, fresh: string[]): void {
    if (firstId === 0 || table !== this.table) this.strings = [];
    this.table = table;
    if (firstId < this.strings.length) this.strings.length = firstId;
    const strs = this.strings;
    // Holes (ids of a lost batch) stay undefined; ticks that use them are reported, not guessed.
    if (strs.length < firstId) strs.length = firstId;
    const need = firstId + fresh.length;
    if (this.exchangeOk.length < need) {
      const grown = new Uint8Array(Math.max(need, this.exchangeOk.length * 2));
      grown.set(this.exchangeOk);
      this.exchangeOk = grown;
    }
    for (let i = 0; i < fresh.length; i++) {
      const s = this.interner.intern(fresh[i]!);
      this.exchangeOk[firstId + i] = (EXCHANGES as readonly string[]).includes(s) ? 1 : 0;
      strs.push(s);
    }
  }
}

/** Decodes one self-contained batch (see {@link encodeBatch}). Links use a {@link BatchDecoder}. */
export function decodeBatch(msg: Uint8Array): DecodedBatch {
  return new BatchDecoder().decode(msg);
}

const VOLUME_AT = (2 + FLOAT_FIELDS.indexOf('volume')) * 8;

type RawStateKey = (dv: DataView, o: number, symbol: string, exchange: string, tradingDay: string, f64: Float64Array, u32: Uint32Array) => number;

/** stateKey (state-key.ts) computed from a link record in place: the same lanes over the same bits. */
const rawStateKey: RawStateKey = new Function('dv', 'o', 'symbol', 'exchange', 'trading_day', 'f64', 'u32', [
  `let h1 = ${STATE_KEY_SEED1}, h2 = ${STATE_KEY_SEED2}, x = 0, s = '';`,
  ...['symbol', 'exchange', 'trading_day'].map((v) => `s = ${v}; for (let i = 0; i < s.length; i++) { x = s.charCodeAt(i); ${MIX} } x = 0xffff; ${MIX}`),
  // datetime, then STATE_KEY_FIELDS: the number as a JS double (as stateKey sees it), low and high halves.
  ...[0, ...STATE_KEY_FIELDS.map((f) => (FLOAT_FIELDS.indexOf(f) + 2) * 8)].map((off) => `f64[0] = dv.getFloat64(o + ${off}, true); x = u32[0]; ${MIX} x = u32[1]; ${MIX}`),
  'h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);',
  'h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);',
  'return 4294967296 * (2097151 & h2) + (h1 >>> 0);',
].join('\n')) as RawStateKey;
const keyF64 = new Float64Array(1);
const keyU32 = new Uint32Array(keyF64.buffer);

/**
 * One opened link message ({@link BatchDecoder.open}). Call {@link problem} for a tick first; the other
 * readers assume it returned null.
 */
export class BatchView implements BatchHeader {
  readonly runId: string;
  readonly gatewayId: string;
  readonly batchSeq: number;
  readonly sentNs: number;

  constructor(
    h: BatchHeader,
    /** Number of ticks. */
    readonly n: number,
    private readonly dv: DataView,
    private readonly numsAt: number,
    private readonly idxAt: number,
    private readonly strs: string[],
    private readonly exOk: Uint8Array,
    private readonly owner: { unknownIds: number },
  ) {
    this.runId = h.runId;
    this.gatewayId = h.gatewayId;
    this.batchSeq = h.batchSeq;
    this.sentNs = h.sentNs;
  }

  /** Why tick k is malformed, or null. */
  problem(k: number): string | null {
    const dv = this.dv;
    const o = this.idxAt + k * STRS * 4;
    const strs = this.strs;
    const limit = strs.length;
    const iSym = dv.getUint32(o, true);
    const iEx = dv.getUint32(o + 4, true);
    const iTd = dv.getUint32(o + 8, true);
    const iName = dv.getUint32(o + 12, true);
    const iGw = dv.getUint32(o + 16, true);
    if (iSym >= limit || iEx >= limit || iTd >= limit || iName >= limit || iGw >= limit) return 'string id out of range';
    const symbol = strs[iSym];
    if (symbol === undefined || strs[iEx] === undefined || strs[iTd] === undefined || strs[iName] === undefined || strs[iGw] === undefined) {
      this.owner.unknownIds++;
      return 'string id never defined (a batch was lost)';
    }
    if (symbol.length === 0) return 'symbol';
    if (this.exOk[iEx] !== 1) return 'exchange';
    // Other non-finite numbers pass through: rejecting (and counting) them is cleansing's job.
    if (!Number.isFinite(dv.getFloat64(this.numsAt + k * NUMS * 8, true))) return 'datetime';
    return null;
  }

  /**
   * The link's id of tick k's symbol: stable on the link until the next keyframe, for receivers that cache
   * per-instrument state by id (verify the symbol before trusting the cache).
   */
  symbolId(k: number): number {
    return this.dv.getUint32(this.idxAt + k * STRS * 4, true);
  }

  symbol(k: number): string {
    return this.strs[this.dv.getUint32(this.idxAt + k * STRS * 4, true)]!;
  }

  exchange(k: number): string {
    return this.strs[this.dv.getUint32(this.idxAt + k * STRS * 4 + 4, true)]!;
  }

  datetime(k: number): number {
    return this.dv.getFloat64(this.numsAt + k * NUMS * 8, true);
  }

  localtime(k: number): number {
    return this.dv.getFloat64(this.numsAt + k * NUMS * 8 + 8, true);
  }

  volume(k: number): number {
    return this.dv.getFloat64(this.numsAt + k * NUMS * 8 + VOLUME_AT, true);
  }

  /** stateKey of tick k, without building it. */
  stateKey(k: number): number {
    const o = this.idxAt + k * STRS * 4;
    const dv = this.dv;
    const strs = this.strs;
    return rawStateKey(dv, this.numsAt + k * NUMS * 8, strs[dv.getUint32(o, true)]!, strs[dv.getUint32(o + 4, true)]!, strs[dv.getUint32(o + 8, true)]!, keyF64, keyU32);
  }

  /** Builds tick k (one generated object literal: V8 fast properties, hub fields zeroed). */
  tick(k: number): MarketTick {
    const o = this.idxAt + k * STRS * 4;
    const dv = this.dv;
    const strs = this.strs;
    return buildTick(dv, this.numsAt + k * NUMS * 8, strs[dv.getUint32(o, true)]!, strs[dv.getUint32(o + 4, true)]!,
      strs[dv.getUint32(o + 8, true)]!, strs[dv.getUint32(o + 12, true)]!, strs[dv.getUint32(o + 16, true)]!);
  }
}
