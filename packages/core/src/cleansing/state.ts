/**
 * Interned per-instrument and per-(source, instrument) state of the pipeline, and the session-window
 * index. Internal to the cleansing stage.
 */
import type { Exchange } from '@mdhub/protocol';
import type { CleansingThresholds } from './config.js';
import type { AcceptedState, CleansingMarket, FilterContext, InstrumentInfo, InstrumentSpec } from './types.js';

/** Runtime form of one instrument group. */
export interface GroupRuntime {
  readonly name: string;
  readonly th: CleansingThresholds;
  /** 1 = built-in rule i enabled (index into BUILTIN_RULES). */
  readonly enabled: Uint8Array;
  /** 1 = plugin filter i enabled. */
  readonly pluginEnabled: Uint8Array;
  /** Session windows per `template|tradingDay`, see {@link buildWindows}. */
  readonly windows: Map<string, Float64Array>;
}

/** Per-(source, instrument) state: the source's accepted state plus the built-in rules' memory. */
export class SourceState implements AcceptedState, FilterContext {
  readonly source: string;
  readonly instrument: InstrumentInfo;
  readonly peers: SourceState[];
  count = 0;
  datetime = 0;
  watermark = 0;
  localtime = 0;
  tradingDay = '';
  volume = 0;
  turnover = 0;
  openInterest = 0;
  lastPrice = 0;
  bidPrice1 = 0;
  askPrice1 = 0;
  /** Start of the session window of the last accepted tick (a change = first tick of a session). */
  winStart = 0;
  /** Day high / low of the last accepted tick. */
  high = 0;
  low = 0;
  /** price_jump: EWMA of the variance rate of the last price between accepted trades (price² per ms). */
  sigma = 0;
  /** price_jump: number of moves σ has seen (warm-up until jumpWarmupTicks). */
  moves = 0;
  /** turnover_mismatch (CZCE): learnt turnover form of this source (0 unknown, 1 × multiplier, 2 without), the form of the tick being checked, consecutive other-form ticks. */
  czceForm = 0;
  czcePending = 0;
  formStreak = 0;
  /** price_jump: datetime of the last accepted tick with a volume change. */
  tradeDt = 0;
  /** price_jump: consecutive consistent jumped ticks, the last candidate price and its timestamp. */
  jumpStreak = 0;
  jumpCand = 0;
  jumpCandDt = 0;
  /** Consecutive consistent rejections of volume_decrease / turnover_decrease / stale_replay. */
  volStreak = 0;
  volCand = 0;
  turnStreak = 0;
  turnCand = 0;
  staleStreak = 0;
  staleCand = 0;
  /** Plugin filters' states, by plugin filter index (created lazily). */
  readonly slots: unknown[] = [];
  /** Rejections of this source for this instrument's group, by rule (shared by the group × source). */
  readonly counters: Map<string, number>;
  readonly stats: { checked: number; rejected: number };
  /** 1 = plugin filter i is disabled for this source (it kept throwing); shared by the source's instruments. */
  readonly filtersOff: Uint8Array;

  constructor(source: string, instrument: InstrumentInfo, peers: SourceState[], counters: Map<string, number>,
    stats: { checked: number; rejected: number }, filtersOff: Uint8Array) {
    this.source = source;
    this.instrument = instrument;
    this.peers = peers;
    this.counters = counters;
    this.stats = stats;
    this.filtersOff = filtersOff;
  }

  /** FilterContext view: this source's accepted state. */
  get accepted(): AcceptedState {
    return this;
  }
}

/** Per-instrument record (interned in a Map by exchange, then symbol). */
export interface InstrumentRecord {
  readonly info: InstrumentInfo;
  /** Undefined for an unknown / malformed instrument (rejected as unknown_instrument). */
  readonly spec: InstrumentSpec | undefined;
  readonly group: GroupRuntime;
  readonly czce: boolean;
  /** average_price is VWAP × multiplier (SHFE, INE, DCE, CFFEX, GFEX); not checked on SSE/SZSE. */
  readonly avgTimesMult: boolean;
  readonly sources: SourceState[];
  /** Current session window (shared by all sources; derived from tick content only). */
  curDay: string;
  curStart: number;
  curEnd: number;
  /** Exact end of the current window's segment (the grace zone starts here); Infinity for an auction window. */
  curSegEnd: number;
  /** Whether the tick being checked falls in a session window of its trading day (set by the pipeline). */
  inWindow: boolean;
}

/** Makes a record for an instrument. */
export function makeRecord(symbol: string, exchange: Exchange, spec: InstrumentSpec | undefined, group: GroupRuntime): InstrumentRecord {
  const info: InstrumentInfo = {
    symbol,
    exchange,
    product: spec?.product ?? '',
    kind: spec?.kind ?? 'future',
    priceTick: spec?.priceTick ?? 0,
    multiplier: spec?.multiplier ?? 1,
    session: spec?.session ?? 'commodity_day',
    group: group.name,
  };
  return {
    info,
    spec,
    group,
    czce: exchange === 'CZCE',
    avgTimesMult: exchange !== 'CZCE' && exchange !== 'SSE' && exchange !== 'SZSE',
    sources: [],
    curDay: '',
    curStart: 0,
    curEnd: 0,
    curSegEnd: 0,
    inWindow: false,
  };
}

const DAY_RE = /^\d{8}$/;
const WINDOW_CACHE_LIMIT = 512;

/**
 * The windows in which a tick of trading day `day` may be stamped, as triples
 * [start, end (incl. grace), exact segment end]: each segment extended by `sessionGraceMs` after its
 * end, and each call auction's result window [matchStart, max(end, matchStart + auctionWindowMs)),
 * merged into the segment it opens when adjacent. Empty for a malformed or non-trading day.
 */
export function buildWindows(market: CleansingMarket, th: CleansingThresholds, template: InstrumentSpec['session'], day: string): Float64Array {
  if (!DAY_RE.test(day)) return new Float64Array(0);
  let segs;
  let aucs;
  try {
    segs = market.segments(template, day);
    aucs = market.auctions(template, day);
  } catch {
    return new Float64Array(0);
  }
  const wins: [number, number, number][] = segs.map((s) => [s.start, s.end + th.sessionGraceMs, s.end]);
  for (const a of aucs) {
    const from = a.matchStart;
    const to = Math.max(a.end, a.matchStart + th.auctionWindowMs);
    const seg = wins.find((w) => w[2] !== Infinity && w[0] >= from && w[0] <= to);
    if (seg) {
      seg[0] = Math.min(seg[0], from);
      continue;
    }
    if (wins.some((w) => w[0] <= from && to <= w[1])) continue; // inside a segment (closing auction)
    wins.push([from, to, Infinity]);
  }
  wins.sort((x, y) => x[0] - y[0]);
  const out = new Float64Array(wins.length * 3);
  wins.forEach((w, i) => out.set(w, i * 3));
  return out;
}

/** Session windows of `day` for a record's group (cached per group). */
export function windowsOf(market: CleansingMarket, rec: InstrumentRecord, day: string): Float64Array {
  const key = `${rec.info.session}|${day}`;
  let w = rec.group.windows.get(key);
  if (!w) {
    w = buildWindows(market, rec.group.th, rec.info.session, day);
    if (rec.group.windows.size >= WINDOW_CACHE_LIMIT) rec.group.windows.clear();
    rec.group.windows.set(key, w);
  }
  return w;
}

/** Index of the window of `w` containing `dt` (triple index), or -1. */
export function findWindow(w: Float64Array, dt: number): number {
  for (let i = 0; i < w.length; i += 3) {
    if (dt >= w[i]! && dt < w[i + 1]!) return i;
  }
  return -1;
}

/**
 * Sets the record's current window from a tick's trading day and timestamp. True when the timestamp
 * falls in a window of that trading day.
 */
export function locate(market: CleansingMarket, rec: InstrumentRecord, day: string, dt: number): boolean {
  if (day === rec.curDay && dt >= rec.curStart && dt < rec.curEnd) return true;
  const w = windowsOf(market, rec, day);
  const i = findWindow(w, dt);
  if (i < 0) return false;
  rec.curDay = day;
  rec.curStart = w[i]!;
  rec.curEnd = w[i + 1]!;
  rec.curSegEnd = w[i + 2]!;
  return true;
}
