/**
 * Labelled cleansing benchmark (issue 3). Run: `npx tsx bench/cleansing.ts [--ticks N] [--seed S]`.
 *
 * Ground truth: the gateway-sim Tape (every snapshot of a 200-instrument universe, emission order)
 * over two windows of 2026-03-16/17: the Monday day open (08:50–09:45: 08:59 auction after the night,
 * CFFEX 09:29 and ETF 09:25 auction results) and Monday 14:40 → Tuesday 02:40 (segment-end snapshots,
 * the 20:59 auction of the new trading day with its volume reset and open gap, the night crossing
 * midnight up to 02:30). Two sources (A fast, B slower) each receive every snapshot; each copy is
 * replaced, at a fixed rate, by a bad copy of one anomaly class (labelled). Every copy goes through
 * one pipeline in arrival order (A's copy, then B's). The last line printed is one JSON object.
 */
import type { MarketTick } from '@mdhub/protocol';
import { createCleansingPipeline } from '../packages/core/src/cleansing/index.js';
import { atShanghai, listProducts, marketCalendar, productOfSymbol } from '../packages/core/src/market/index.js';
import { Rng } from '../packages/gateway-sim/src/rng.js';
import { Tape } from '../packages/gateway-sim/src/tape.js';
import { buildUniverse } from '../packages/gateway-sim/src/universe.js';
import type { SimInstrument } from '../packages/gateway-sim/src/universe.js';
import { ANOMALY_CLASSES, inject } from './cleansing-inject.js';
import type { AnomalyClass } from './cleansing-inject.js';

const args = process.argv.slice(2);
const argOf = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const TARGET_COPIES = argOf('--ticks', 5_000_000);

const SEED = argOf('--seed', 20260316);
/** Probability that a copy is replaced by a bad copy (spread evenly over the classes). */
const ANOMALY_RATE = 0.004;
const SOURCES = [
  { id: 'A', minMs: 1, maxMs: 6 },
  { id: 'B', minMs: 4, maxMs: 40 },
] as const;

const calendar = marketCalendar();
const universe = buildUniverse({ seed: SEED, tradingDay: '20260316', products: listProducts(), instruments: 200 });
const tape = new Tape(universe, { seed: SEED ^ 0x5a5a, calendar, startMs: atShanghai('20260316', '08:50') });
const windows: [number, number][] = [
  [atShanghai('20260316', '08:50'), atShanghai('20260316', '09:40')], // day open after the night, CFFEX / ETF auctions
  [atShanghai('20260316', '14:55'), atShanghai('20260316', '15:20')], // closes: 15:00, 15:15 segment-end snapshots
  [atShanghai('20260316', '20:50'), atShanghai('20260316', '21:40')], // new trading day: 20:59 auction, volume reset, open gap
  [atShanghai('20260316', '22:57'), atShanghai('20260316', '23:03')], // 23:00 close
  [atShanghai('20260316', '23:55'), atShanghai('20260317', '00:10')], // midnight
  [atShanghai('20260317', '00:57'), atShanghai('20260317', '01:03')], // 01:00 close
  [atShanghai('20260317', '02:25'), atShanghai('20260317', '02:35')], // 02:30 close
];

const pipeline = createCleansingPipeline();
const rng = new Rng(SEED ^ 0xc1ea);

// ---------------------------------------------------------------------------------------------
// Per-instrument context for injection and event labels

interface InstCtx {
  inst: SimInstrument;
  tick: number;
  czce: boolean;
  prev: MarketTick | undefined;
  /** Ring of recent clean ticks (for stale replays). */
  ring: MarketTick[];
  ringAt: number;
  prevDay: string;
  nextDay: string;
  lastWindowKey: number;
}
const ctxs: InstCtx[] = universe.map((inst) => ({
  inst,
  tick: inst.product.price_tick,
  czce: inst.exchange === 'CZCE',
  prev: undefined,
  ring: [],
  ringAt: 0,
  prevDay: '',
  nextDay: '',
  lastWindowKey: -1,
}));

const HOUR = 3_600_000;
const msOfDay = (ms: number): number => (((ms + 8 * HOUR) % 86_400_000) + 86_400_000) % 86_400_000;
const hm = (h: number, m: number): number => h * HOUR + m * 60_000;
/** Closed times (ms of day, Shanghai) per session family, well clear of auctions and end-of-segment grace. */
const COMMODITY_BREAKS: [number, number][] = [[hm(10, 16), hm(10, 29)], [hm(11, 31), hm(13, 29)], [hm(15, 1), hm(20, 54)], [hm(2, 31), hm(8, 54)]];
const CFFEX_BREAKS: [number, number][] = [[hm(11, 31), hm(12, 59)], [hm(15, 16), hm(23, 59)], [hm(0, 0), hm(9, 14)]];
/**
 * A junk tick of a closed time (pre-open or break junk, vnpy #2961/#670): stamped in the latest closed
 * period that ended before the clean tick, arriving within that period (so the bench does not make the
 * source travel forward in time).
 */
const breakAt = (t: MarketTick, r: Rng, session: string): number | null => {
  const list = session.startsWith('commodity') ? COMMODITY_BREAKS : CFFEX_BREAKS;
  const day0 = t.datetime - msOfDay(t.datetime);
  let best: [number, number] | null = null;
  for (const d of [day0 - 86_400_000, day0]) {
    for (const [from, to] of list) {
      const a = d + from;
      const b = d + to;
      if (b < t.datetime - 1000 && (!best || b > best[1])) best = [a, b];
    }
  }
  return best ? r.int(best[0], best[1] - 1) : null;
};
const SEGMENT_ENDS = new Set([hm(10, 15), hm(11, 30), hm(15, 0), hm(15, 15), hm(23, 0), hm(1, 0), hm(2, 30)]);
const AUCTION_MINUTES = new Set([hm(20, 59), hm(8, 59), hm(9, 29), hm(9, 25)]);

/** Real events of point 4 of the issue, as labels on clean ticks. */
const EVENTS = [
  'limit_locked', 'open_auction_result', 'first_tick_of_session', 'open_gap_over_10_ticks', 'after_midnight', 'volume_reset_new_day',
  'quiet_instrument', 'deep_otm_one_tick', 'first_trading_day', 'identical_price', 'book_only_update', 'segment_end_snapshot',
] as const;
type EventName = (typeof EVENTS)[number];
const eventTicks = Object.fromEntries(EVENTS.map((e) => [e, 0])) as Record<EventName, number>;
const eventFp = Object.fromEntries(EVENTS.map((e) => [e, 0])) as Record<EventName, number>;

function eventsOf(c: InstCtx, t: MarketTick, out: EventName[]): void {
  out.length = 0;
  const p = c.prev;
  const mod = msOfDay(t.datetime);
  const tick = c.tick;
  if ((t.last_price > 0 && (t.last_price === t.limit_up || t.last_price === t.limit_down)) && (t.bid_price_1 === 0 || t.ask_price_1 === 0)) out.push('limit_locked');
  if (AUCTION_MINUTES.has(mod - (mod % 60_000))) out.push('open_auction_result');
  const winKey = Math.floor(mod / 60_000);
  if (!p || p.trading_day !== t.trading_day || t.datetime - p.datetime > 10 * 60_000) {
    out.push('first_tick_of_session');
    if (t.last_price > 0 && Math.abs(t.last_price - t.pre_close) > 10 * tick) out.push('open_gap_over_10_ticks');
  }
  void winKey;
  if (mod < hm(3, 0)) out.push('after_midnight');
  if (p && p.trading_day !== t.trading_day) out.push('volume_reset_new_day');
  if (c.inst.liquidity === 'illiquid') out.push('quiet_instrument');
  if (c.inst.deepOtm || (c.inst.kind === 'option' && t.last_price > 0 && t.last_price <= tick + 1e-12)) out.push('deep_otm_one_tick');
  if (c.inst.newListing) out.push('first_trading_day');
  if (p && p.last_price === t.last_price) out.push('identical_price');
  if (p && p.volume === t.volume && p.trading_day === t.trading_day) out.push('book_only_update');
  if (SEGMENT_ENDS.has(mod)) out.push('segment_end_snapshot');
}

// ---------------------------------------------------------------------------------------------
// Counters

let copies = 0;
let clean = 0;
let anomalies = 0;
let intercepted = 0;
let falsePositives = 0;
const perClass = Object.fromEntries(ANOMALY_CLASSES.map((k) => [k, { injected: 0, intercepted: 0 }])) as Record<AnomalyClass, { injected: number; intercepted: number }>;
const fpByRule: Record<string, number> = {};
const missedExamples: unknown[] = [];
const fpExamples: unknown[] = [];
/** Per-tick cost samples: the mean of each timed batch of BATCH consecutive checks. */
const BATCH = 32;
const batchCosts: number[] = [];
/** Every 16th check also timed on its own (includes the hrtime overhead). */
const singleCosts: number[] = [];
const events: EventName[] = [];
const classes = ANOMALY_CLASSES;

// One chunk of the tape at a time: build the labelled copies, check them in timed batches, score.
const chunkTicks: MarketTick[] = [];
const chunkSrc: string[] = [];
const chunkCls: (AnomalyClass | null)[] = [];
const chunkEvents: EventName[][] = [];
const chunkSymbols: string[] = [];
const results: (ReturnType<typeof pipeline.check>)[] = [];

function buildCopies(c: InstCtx, base: MarketTick, emitMs: number): void {
  eventsOf(c, base, events);
  const ev = [...events];
  if (c.prev === undefined || c.prev.trading_day !== base.trading_day) {
    c.prevDay = calendar.prevTradingDay(base.trading_day);
    c.nextDay = calendar.nextTradingDay(base.trading_day);
  }
  for (const src of SOURCES) {
    const t: MarketTick = { ...base, gateway_name: src.id, localtime: emitMs + rng.int(src.minMs, src.maxMs) };
    let cls: AnomalyClass | null = null;
    if (rng.chance(ANOMALY_RATE)) {
      const k = rng.pick(classes);
      const old = c.ring.length > 0 ? c.ring[rng.int(0, c.ring.length - 1)] : undefined;
      if (inject(k, t, { rng, priceTick: c.tick, volTicks: c.inst.volTicks, czce: c.czce, prev: c.prev, old, breakAt: (x, rr) => breakAt(x, rr, c.inst.product.session), prevDay: c.prevDay, nextDay: c.nextDay })) cls = k;
    }
    chunkTicks.push(t);
    chunkSrc.push(src.id);
    chunkCls.push(cls);
    chunkEvents.push(ev);
    chunkSymbols.push(base.symbol);
  }
  // remember clean history
  c.prev = base;
  if (c.ring.length < 64) c.ring.push(base);
  else c.ring[c.ringAt++ % 64] = base;
  if (c.ring.length === 64 && base.datetime - (c.ring[c.ringAt % 64]?.datetime ?? 0) > 120_000) {
    c.ring.length = 0;
    c.ringAt = 0;
  }
}

function checkChunk(): void {
  const n = chunkTicks.length;
  results.length = n;
  for (let i = 0; i < n; i += BATCH) {
    const end = Math.min(n, i + BATCH);
    const t0 = process.hrtime.bigint();
    for (let j = i; j < end; j++) results[j] = pipeline.check(chunkTicks[j]!, chunkSrc[j]);
    const dt = Number(process.hrtime.bigint() - t0);
    if (end - i === BATCH) batchCosts.push(dt / BATCH);
  }
}

function checkChunkSingles(): void {
  const n = chunkTicks.length;
  results.length = n;
  for (let j = 0; j < n; j++) {
    if ((j & 15) === 0) {
      const t0 = process.hrtime.bigint();
      results[j] = pipeline.check(chunkTicks[j]!, chunkSrc[j]);
      singleCosts.push(Number(process.hrtime.bigint() - t0));
    } else {
      results[j] = pipeline.check(chunkTicks[j]!, chunkSrc[j]);
    }
  }
}

let chunkNo = 0;
function scoreChunk(): void {
  // alternate the two timing modes chunk by chunk (same pipeline, every tick checked exactly once)
  if ((chunkNo++ & 1) === 0) checkChunk();
  else checkChunkSingles();
  for (let j = 0; j < chunkTicks.length; j++) {
    const r = results[j]!;
    const cls = chunkCls[j]!;
    const t = chunkTicks[j]!;
    copies++;
    if (cls !== null) {
      anomalies++;
      perClass[cls].injected++;
      if (!r.ok) {
        intercepted++;
        perClass[cls].intercepted++;
      } else if (missedExamples.length < 20) {
        missedExamples.push({ cls, symbol: chunkSymbols[j], src: chunkSrc[j], bad: pick(t) });
      }
    } else {
      clean++;
      const ev = chunkEvents[j]!;
      for (const e of ev) eventTicks[e]++;
      if (!r.ok) {
        falsePositives++;
        fpByRule[r.rule] = (fpByRule[r.rule] ?? 0) + 1;
        for (const e of ev) eventFp[e]++;
        if (fpExamples.length < 20) fpExamples.push({ rule: r.rule, reason: r.reason, symbol: chunkSymbols[j], src: chunkSrc[j], events: ev });
      }
    }
  }
  chunkTicks.length = 0;
  chunkSrc.length = 0;
  chunkCls.length = 0;
  chunkEvents.length = 0;
  chunkSymbols.length = 0;
}

function pick(t: MarketTick): Record<string, unknown> {
  return {
    datetime: t.datetime, localtime: t.localtime, trading_day: t.trading_day, last: t.last_price, bid: t.bid_price_1, ask: t.ask_price_1,
    hi: t.high_price, lo: t.low_price, up: t.limit_up, down: t.limit_down, vol: t.volume, to: t.turnover, avg: t.average_price,
  };
}

// ---------------------------------------------------------------------------------------------
// Run

const started = Date.now();
const STEP_MS = 60_000;
/**
 * Between windows the sources keep delivering (a real source is not silent for hours): every 30 s of
 * market time the latest snapshot of each instrument goes to both sources, clean, unscored and
 * untimed (`bridge_*` in the output).
 */
let bridgeTicks = 0;
let bridgeRejected = 0;
const bridgeRules: Record<string, number> = {};
function bridge(toMs: number): void {
  const BRIDGE_STEP = 30_000;
  const latest = new Map<number, { tick: MarketTick; emitMs: number }>();
  while (tape.cursorMs < toMs) {
    latest.clear();
    for (const snap of tape.advance(Math.min(tape.cursorMs + BRIDGE_STEP, toMs))) latest.set(snap.index, snap);
    for (const [index, snap] of latest) {
      const c = ctxs[index]!;
      for (const src of SOURCES) {
        const r = pipeline.check({ ...snap.tick, gateway_name: src.id, localtime: snap.emitMs + src.minMs }, src.id);
        bridgeTicks++;
        if (!r.ok) {
          bridgeRejected++;
          bridgeRules[r.rule] = (bridgeRules[r.rule] ?? 0) + 1;
        }
      }
      c.prev = snap.tick;
      c.ring.length = 0;
      c.ringAt = 0;
    }
  }
}

outer: for (const [from, to] of windows) {
  if (tape.cursorMs < from) bridge(from);
  for (let at = Math.max(from, tape.cursorMs); at < to; at += STEP_MS) {
    const batch = tape.advance(Math.min(at + STEP_MS, to));
    for (const snap of batch) buildCopies(ctxs[snap.index]!, snap.tick, snap.emitMs);
    scoreChunk();
    if (copies >= TARGET_COPIES) break outer;
  }
}
const elapsedMs = Date.now() - started;

// timer overhead: an empty measured region
const over = new Uint32Array(200_000);
for (let i = 0; i < over.length; i++) {
  const t0 = process.hrtime.bigint();
  over[i] = Number(process.hrtime.bigint() - t0);
}
const pct = (a: ArrayLike<number>, q: number): number => {
  const sorted = Float64Array.from(a).sort();
  return sorted.length === 0 ? 0 : Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
};
const st = pipeline.stats();
const perClassOut = Object.fromEntries(
  Object.entries(perClass).map(([k, v]) => [k, { ...v, interception_rate: v.injected ? v.intercepted / v.injected : null }]),
);
const eventsOut = Object.fromEntries(EVENTS.map((e) => [e, { ticks: eventTicks[e], false_positives: eventFp[e] }]));
void productOfSymbol;

if (missedExamples.length > 0) console.log('missed (first 20):', JSON.stringify(missedExamples));
if (fpExamples.length > 0) console.log('false positives (first 20):', JSON.stringify(fpExamples));

console.log(JSON.stringify({
  ticks: copies,
  clean_ticks: clean,
  anomalies,
  intercepted,
  false_positives: falsePositives,
  interception_rate: anomalies ? intercepted / anomalies : 1,
  false_positive_rate: clean ? falsePositives / clean : 0,
  per_rule: { rejections: st.byRule, false_positives_by_rule: fpByRule, per_class: perClassOut },
  real_events: eventsOut,
  cost_ns_p50: pct(batchCosts, 0.5),
  cost_ns_p99: pct(batchCosts, 0.99),
  cost_ns_mean: Math.round(batchCosts.reduce((a, b) => a + b, 0) / Math.max(1, batchCosts.length)),
  cost_method: `p50/p99 over batches of ${BATCH} consecutive checks (batch time / ${BATCH}), half of the chunks; single_* = every 16th check of the other half timed alone`,
  single_cost_ns_p50: pct(singleCosts, 0.5),
  single_cost_ns_p99: pct(singleCosts, 0.99),
  timer_overhead_ns_p50: pct(over, 0.5),
  bridge_ticks: bridgeTicks,
  bridge_rejected: bridgeRejected,
  bridge_rejections_by_rule: bridgeRules,
  instruments: universe.length,
  sources: SOURCES.length,
  anomaly_rate: ANOMALY_RATE,
  seed: SEED,
  runtime_ms: elapsedMs,
}));
