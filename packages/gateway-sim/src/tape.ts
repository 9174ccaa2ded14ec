/**
 * The tape: the simulated exchange's ground truth. Every snapshot of every instrument, in emission
 * order, generated lazily from the universe, the trading calendar and a seed.
 *
 * Each instrument owns its random stream and a cursor over its own schedule (auction-result snapshot,
 * 500 ms slots inside each trading segment, a snapshot exactly at each segment end). A binary heap keyed
 * by (emission ms, instrument index) merges the instruments, so the output is the same however the
 * calls to {@link Tape.advance} are chunked. An instrument's snapshots depend only on the tape seed and
 * the instrument (not on the rest of the universe), so a tape over a subset of a universe yields the
 * same ticks for those instruments.
 */
import type { MarketTick } from '@mdhub/protocol';
import type { CalendarLike, SimSessionTemplateId } from './market-like.js';
import { Rng, deriveSeed } from './rng.js';
import { limitsFor, tickDecimals } from './universe.js';
import type { SimInstrument } from './universe.js';

/** Options of a {@link Tape}. */
export interface TapeOptions {
  /** Seed of the tape's random streams (combined with each instrument's own seed). */
  seed: number;
  /** The trading calendar (core's `TradingCalendar`, or a test double). */
  calendar: CalendarLike;
  /** Market epoch ms the tape starts at: it emits only snapshots with emission time > startMs. */
  startMs: number;
}

/** One snapshot of the tape: when the exchange emitted it, which instrument, and the tick itself. */
export interface TapeSnapshot {
  /** Emission time, market epoch ms (≥ tick.datetime; equal except for CZCE, which stamps whole seconds). */
  emitMs: number;
  /** Index of the instrument in the universe. */
  index: number;
  /** The snapshot; `gateway_name` is '' and `localtime` 0 (a source fills them). A fresh object owned by the caller. */
  tick: MarketTick;
}

/** Slot length of the exchanges' snapshot cadence. */
export const SLOT_MS = 500;

const AUCTION = 0;
const SLOT = 1;
const END = 2;

interface Window {
  kind: typeof AUCTION | typeof SLOT;
  /** Segment start, or the auction's matching start. */
  start: number;
  /** Segment end, or the end of the auction's matching minute. */
  end: number;
  /** True for the ETF open auction (result snapshot exactly at matchStart, 09:25:00.000). */
  exact: boolean;
  dayKey: string;
}

/** Per-instrument cursor over the schedule and market state. */
class InstState {
  rng: Rng;
  /** Seed of this instrument's streams on this tape. */
  readonly seed: number;
  // cursor
  day = -1;
  win = -1;
  w: Window | null = null;
  k = 0;
  /** True when the window's END snapshot has been emitted (segments) or the auction snapshot (auctions). */
  done = false;
  nextEmit = 0;
  nextStamp = 0;
  nextKind = SLOT;
  // market state, prices in ticks
  stateDay = -1;
  tradingDay = '';
  preCloseT = 0;
  preSettleT = 0;
  preOi = 0;
  upT = 0;
  downT = 0;
  lastT = 0;
  openT = 0;
  highT = 0;
  lowT = 0;
  volume = 0;
  turnover = 0;
  oi = 0;
  lastVolume = 0;
  /** Limit lock: +1 pinned up, -1 pinned down, 0 board open (for limit-locked instruments only). */
  locked = 0;
  lockLeft = 0;
  /** Snapshots produced so far (seeds the book of each snapshot). */
  count = 0;
  readonly book = new Int32Array(20); // bid p1..5, ask p1..5, bid v1..5, ask v1..5 (prices in ticks, 0 = absent)
  constructor(seed: number) {
    this.seed = seed;
    this.rng = new Rng(seed);
  }
}

class IndexHeap {
  readonly heap: Int32Array;
  size = 0;
  constructor(n: number, private readonly key: Float64Array) {
    this.heap = new Int32Array(n);
  }
  private less(a: number, b: number): boolean {
    const ka = this.key[a] as number;
    const kb = this.key[b] as number;
    return ka < kb || (ka === kb && a < b);
  }
  push(i: number): void {
    const h = this.heap;
    let pos = this.size++;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      const p = h[parent] as number;
      if (!this.less(i, p)) break;
      h[pos] = p;
      pos = parent;
    }
    h[pos] = i;
  }
  /** Restores the heap after the top's key changed. */
  siftDownTop(): void {
    const h = this.heap;
    const n = this.size;
    const i = h[0] as number;
    let pos = 0;
    for (;;) {
      let c = 2 * pos + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && this.less(h[r] as number, h[c] as number)) c = r;
      const cv = h[c] as number;
      if (!this.less(cv, i)) break;
      h[pos] = cv;
      pos = c;
    }
    h[pos] = i;
  }
  popTop(): void {
    const last = this.heap[--this.size] as number;
    if (this.size > 0) {
      this.heap[0] = last;
      this.siftDownTop();
    }
  }
  top(): number {
    return this.heap[0] as number;
  }
}

/** Mean ms between snapshots per liquidity class (used for warm starts). */
const MEAN_GAP_MS = { liquid: 500, normal: 1400, illiquid: 60_000 } as const;
const NORMAL_P = 0.35;

/**
 * The ground truth: every snapshot of the universe from `startMs` on.
 *
 * `advance(toMs)` returns the snapshots emitted in (previous toMs, toMs] as {@link TapeSnapshot}
 * objects (`{ emitMs, index, tick }`), in emission order, ties broken by instrument index. Chunking
 * does not change the result. `fastForward(toMs)` evolves the same state without building ticks.
 */
export class Tape {
  /** The instruments, by index. */
  readonly universe: readonly SimInstrument[];
  /** The tape's start (exclusive), market epoch ms. */
  readonly startMs: number;
  private readonly calendar: CalendarLike;
  private readonly seed: number;
  private readonly states: InstState[];
  private readonly keys: Float64Array;
  private readonly heap: IndexHeap;
  private readonly days: string[] = [];
  private readonly windows = new Map<string, Window[]>();
  private readonly priceScale: Float64Array;
  private readonly tickInt: Float64Array;
  private cursor: number;
  private readonly bookRng = new Rng(0);

  /** Builds the tape and positions every instrument at its first snapshot after `startMs`. */
  constructor(universe: readonly SimInstrument[], opts: TapeOptions) {
    this.universe = universe;
    this.startMs = opts.startMs;
    this.cursor = opts.startMs;
    this.calendar = opts.calendar;
    this.seed = opts.seed >>> 0;
    const n = universe.length;
    this.keys = new Float64Array(n);
    this.heap = new IndexHeap(n, this.keys);
    this.priceScale = new Float64Array(n);
    this.tickInt = new Float64Array(n);
    this.days.push(this.calendar.prevTradingDay(shanghaiDay(opts.startMs)));
    this.states = universe.map((inst, i) => {
      const scale = 10 ** tickDecimals(inst.product.price_tick);
      this.priceScale[i] = scale;
      this.tickInt[i] = Math.round(inst.product.price_tick * scale);
      return new InstState(deriveSeed(this.seed, inst.seed));
    });
    for (let i = 0; i < n; i++) {
      this.position(i, opts.startMs);
      if ((this.states[i] as InstState).w !== null) this.heap.push(i);
    }
  }

  /** Market ms up to which the tape has been advanced (initially startMs). */
  get cursorMs(): number {
    return this.cursor;
  }

  /** Emission time of the next snapshot not yet returned, or null when there is none. */
  peekNextEmitMs(): number | null {
    return this.heap.size > 0 ? (this.keys[this.heap.top()] as number) : null;
  }

  /** The trading days ('YYYYMMDD') the tape has visited so far, oldest first (the first is a look-back day). */
  tradingDays(): readonly string[] {
    return this.days;
  }

  /**
   * Snapshots with emission time in (previous toMs, toMs], in emission order (ties by instrument index).
   * A `toMs` at or before the cursor returns nothing.
   */
  advance(toMs: number): TapeSnapshot[] {
    const out: TapeSnapshot[] = [];
    if (toMs <= this.cursor) return out;
    this.run(toMs, out);
    this.cursor = toMs;
    return out;
  }

  /** Like {@link advance} but builds no ticks (a restarted source catching up); returns how many snapshots passed. */
  fastForward(toMs: number): number {
    if (toMs <= this.cursor) return 0;
    const n = this.run(toMs, null);
    this.cursor = toMs;
    return n;
  }

  private run(toMs: number, out: TapeSnapshot[] | null): number {
    const heap = this.heap;
    const keys = this.keys;
    let count = 0;
    while (heap.size > 0) {
      const i = heap.top();
      const emit = keys[i] as number;
      if (emit > toMs) break;
      const s = this.states[i] as InstState;
      const stamp = s.nextStamp;
      this.step(i, s);
      if (out !== null) out.push({ emitMs: emit, index: i, tick: this.materialize(i, s, stamp) });
      count++;
      this.scheduleNext(i, s);
      if (s.w === null) heap.popTop();
      else heap.siftDownTop();
    }
    return count;
  }

  // ----------------------------------------------------------------------------------------------
  // Schedule

  private dayAt(d: number): string {
    while (this.days.length <= d) this.days.push(this.calendar.nextTradingDay(this.days[this.days.length - 1] as string));
    return this.days[d] as string;
  }

  private windowsOf(template: SimSessionTemplateId, d: number): Window[] {
    const k = `${template}|${d}`;
    let ws = this.windows.get(k);
    if (ws) return ws;
    const day = this.dayAt(d);
    const dayKey = day.replace(/-/g, '');
    ws = [];
    for (const a of this.calendar.auctions(template, day)) {
      if (a.phase === 'close') continue;
      const exact = template === 'etf_option';
      ws.push({ kind: AUCTION, start: a.matchStart, end: exact ? a.matchStart + 1 : Math.min(a.end, a.matchStart + 60_000), exact, dayKey });
    }
    for (const s of this.calendar.segments(template, day)) ws.push({ kind: SLOT, start: s.start, end: s.end, exact: false, dayKey });
    ws.sort((x, y) => x.start - y.start);
    this.windows.set(k, ws);
    return ws;
  }

  /** Number of slots to the next snapshot (≥ 1). */
  private gap(inst: SimInstrument, s: InstState): number {
    switch (inst.liquidity) {
      case 'liquid':
        return 1;
      case 'normal':
        return s.rng.geometric(NORMAL_P);
      default:
        return s.rng.int(60, 180); // 30–90 s
    }
  }

  /** Sets the cursor's next event from window `s.w` with slot index `s.k` (or the auction). False when past the window. */
  private setEvent(inst: SimInstrument, s: InstState): boolean {
    const w = s.w as Window;
    if (w.kind === AUCTION) {
      if (s.done) return false;
      let emit: number;
      let stamp: number;
      if (w.exact) {
        emit = stamp = w.start;
      } else {
        const h = deriveSeed(s.seed, 'auction', w.dayKey, w.start);
        const sec = h % 60;
        const base = w.start + sec * 1000;
        if (inst.stamp === 'half') emit = stamp = base + ((h >>> 8) & 1) * 500;
        else if (inst.stamp === 'any') emit = stamp = base + ((h >>> 9) % 1000);
        else {
          emit = base + inst.phaseMs;
          stamp = base;
        }
        if (emit >= w.end) emit = stamp = w.end - 1;
      }
      s.nextEmit = emit;
      s.nextStamp = stamp;
      s.nextKind = AUCTION;
      return true;
    }
    if (s.done) return false;
    let t = w.start + s.k * SLOT_MS + inst.phaseMs;
    if (t < w.end && inst.stamp === 'any') t += s.rng.int(0, 49);
    if (t >= w.end) {
      s.nextEmit = s.nextStamp = w.end;
      s.nextKind = END;
      return true;
    }
    s.nextEmit = t;
    s.nextStamp = inst.stamp === 'second' ? t - (((t % 1000) + 1000) % 1000) : t;
    s.nextKind = SLOT;
    return true;
  }

  /** Moves to the next window (crossing trading days); sets s.w. */
  private nextWindow(inst: SimInstrument, s: InstState): void {
    for (let guard = 0; guard < 400; guard++) {
      const ws = this.windowsOf(inst.product.session, s.day);
      s.win++;
      if (s.win < ws.length) {
        s.w = ws[s.win] as Window;
        s.done = false;
        s.k = s.w.kind === SLOT && inst.liquidity !== 'liquid' ? this.gap(inst, s) - 1 : 0;
        return;
      }
      s.day++;
      s.win = -1;
    }
    s.w = null; // no trading for 400 trading days: give up
  }

  /** Initial positioning: the first event with emission time > afterMs. */
  private position(i: number, afterMs: number): void {
    const inst = this.universe[i] as SimInstrument;
    const s = this.states[i] as InstState;
    s.day = 0;
    s.win = -1;
    for (let guard = 0; guard < 100_000; guard++) {
      this.nextWindow(inst, s);
      const w = s.w;
      if (w === null) return;
      if (w.end <= afterMs && w.kind === SLOT) continue;
      if (w.kind === SLOT && w.start <= afterMs) {
        const first = Math.floor((afterMs - w.start - inst.phaseMs) / SLOT_MS) + 1;
        s.k = Math.max(0, first) + (inst.liquidity === 'liquid' ? 0 : this.gap(inst, s) - 1);
      }
      if (!this.setEvent(inst, s)) continue;
      if (s.nextEmit > afterMs) {
        this.keys[i] = s.nextEmit;
        this.initDay(i, s, afterMs);
        return;
      }
    }
    s.w = null;
  }

  private scheduleNext(i: number, s: InstState): void {
    const inst = this.universe[i] as SimInstrument;
    if (s.nextKind === AUCTION || s.nextKind === END) {
      s.done = true;
      this.nextWindow(inst, s);
    } else {
      s.k += this.gap(inst, s);
    }
    while (s.w !== null && !this.setEvent(inst, s)) this.nextWindow(inst, s);
    if (s.w !== null) this.keys[i] = s.nextEmit;
  }

  // ----------------------------------------------------------------------------------------------
  // Market state

  /** First day of the tape for this instrument: reference data from the universe, warm start inside a day. */
  private initDay(i: number, s: InstState, afterMs: number): void {
    const inst = this.universe[i] as SimInstrument;
    const tick = inst.product.price_tick;
    s.stateDay = s.day;
    s.tradingDay = (s.w as Window).dayKey;
    s.preCloseT = Math.round(inst.pre_close / tick);
    s.preSettleT = Math.round(inst.pre_settlement / tick);
    s.preOi = inst.pre_open_interest;
    s.upT = Math.round(inst.limit_up / tick);
    s.downT = Math.round(inst.limit_down / tick);
    this.resetDaily(s);
    if (inst.limitLocked) {
      s.locked = inst.limitLocked === 'up' ? 1 : -1;
      s.lockLeft = s.rng.int(240, 1200);
    }
    // warm start: the day began before startMs → synthetic volume, open, high and low so far
    const ws = this.windowsOf(inst.product.session, s.day);
    let elapsed = 0;
    let opened = false;
    for (const w of ws) {
      if (w.start >= afterMs) break;
      opened = true;
      if (w.kind === SLOT) elapsed += Math.min(w.end, afterMs) - w.start;
    }
    if (!opened) return;
    const r = s.rng;
    const open = this.clampT(s, inst.deepOtm ? s.downT : s.preCloseT + Math.round(r.normal(0, inst.volTicks * 6)), inst);
    let last = open;
    let hi = open;
    let lo = open;
    const steps = Math.floor(elapsed / MEAN_GAP_MS[inst.liquidity]);
    if (!inst.deepOtm && s.locked === 0) {
      const spread = Math.max(1, Math.round(inst.volTicks * Math.sqrt(Math.max(steps, 1)) * 0.5));
      hi = this.clampT(s, open + r.int(0, spread), inst);
      lo = this.clampT(s, open - r.int(0, spread), inst);
      last = r.int(lo, hi);
    } else if (s.locked !== 0) {
      last = hi = lo = s.locked > 0 ? s.upT : s.downT;
    }
    const vol = Math.round(steps * 0.6 * inst.meanLots + inst.meanLots * 20);
    s.openT = open;
    s.highT = Math.max(hi, last, open);
    s.lowT = Math.min(lo, last, open);
    s.lastT = last;
    s.volume = vol;
    s.turnover = vol * this.price(i, Math.round((open + last) / 2)) * inst.product.multiplier;
    s.oi = s.preOi + Math.round(vol * 0.1);
  }

  private resetDaily(s: InstState): void {
    s.lastT = s.preCloseT;
    s.openT = s.highT = s.lowT = 0;
    s.volume = 0;
    s.turnover = 0;
    s.lastVolume = 0;
    s.oi = s.preOi;
  }

  /** A new trading day: yesterday's close / settlement / open interest become the references. */
  private rollDay(i: number, s: InstState): void {
    const inst = this.universe[i] as SimInstrument;
    const tick = inst.product.price_tick;
    const mult = inst.product.multiplier;
    const settleT = s.volume > 0 ? Math.round(s.turnover / (s.volume * mult) / tick) : s.lastT;
    s.preCloseT = s.lastT;
    s.preSettleT = Math.min(Math.max(settleT, s.downT), s.upT);
    s.preOi = s.oi;
    if (inst.deepOtm) {
      s.preSettleT = s.preCloseT = 1;
    }
    const lim = limitsFor(this.price(i, s.preSettleT), inst.limitRule, tick);
    s.upT = Math.round(lim.up / tick);
    s.downT = Math.round(lim.down / tick);
    s.preCloseT = Math.min(Math.max(s.preCloseT, s.downT), s.upT);
    s.stateDay = s.day;
    s.tradingDay = (s.w as Window).dayKey;
    this.resetDaily(s);
  }

  private clampT(s: InstState, t: number, inst: SimInstrument): number {
    void inst;
    return t > s.upT ? s.upT : t < s.downT ? s.downT : t;
  }

  private price(i: number, t: number): number {
    return t === 0 ? 0 : (t * (this.tickInt[i] as number)) / (this.priceScale[i] as number);
  }

  /** One snapshot's worth of market activity for instrument i. */
  private step(i: number, s: InstState): void {
    const inst = this.universe[i] as SimInstrument;
    if (s.day !== s.stateDay) this.rollDay(i, s);
    const r = s.rng;
    const kind = s.nextKind;
    let dVol = 0;
    let newT = s.lastT;
    if (inst.limitLocked !== null) {
      if (--s.lockLeft <= 0) {
        const side = inst.limitLocked === 'up' ? 1 : -1;
        s.locked = s.locked === 0 ? side : 0;
        s.lockLeft = s.locked !== 0 ? r.int(240, 1200) : r.int(40, 240);
      }
    }
    if (s.locked !== 0) {
      newT = s.locked > 0 ? s.upT : s.downT;
      if (kind === AUCTION) dVol = Math.round(inst.meanLots * r.range(5, 20)) + 1;
      else if (s.lastT !== newT || r.chance(0.3)) dVol = 1 + Math.floor(r.next() * inst.meanLots * 0.5);
    } else if (inst.deepOtm) {
      newT = s.downT;
      if (r.chance(kind === AUCTION ? 0.5 : 0.15)) dVol = 1 + Math.floor(r.next() * inst.meanLots * 3);
    } else if (kind === AUCTION) {
      const first = s.openT === 0;
      const sd = inst.volTicks * (first ? 6 : 2);
      newT = Math.round((first ? s.preCloseT : s.lastT) + r.normal(0, sd));
      dVol = Math.round(inst.meanLots * r.range(first ? 10 : 2, first ? 40 : 10)) + 1;
    } else {
      const pTrade = inst.liquidity === 'illiquid' ? 0.8 : 0.6;
      if (r.chance(pTrade)) {
        newT = s.lastT + Math.round(r.normal(0, inst.volTicks));
        dVol = 1 + Math.floor(r.next() * 2 * inst.meanLots);
      }
    }
    if (inst.limitLocked !== null && s.locked === 0) {
      // board open: trade within a few ticks of the limit
      if (inst.limitLocked === 'up') newT = Math.min(Math.max(newT, s.upT - 6), s.upT);
      else newT = Math.max(Math.min(newT, s.downT + 6), s.downT);
    }
    newT = newT > s.upT ? s.upT : newT < s.downT ? s.downT : newT;
    if (dVol > 0) {
      s.lastT = newT;
      s.volume += dVol;
      s.turnover += dVol * this.price(i, newT) * inst.product.multiplier;
      // A trade opens or closes positions: open interest moves by at most the traded volume, either way.
      s.oi = Math.max(0, s.oi + Math.round(dVol * r.range(-0.25, 0.3)));
      if (s.openT === 0) s.openT = s.highT = s.lowT = newT;
      if (newT > s.highT) s.highT = newT;
      if (newT < s.lowT) s.lowT = newT;
    }
    s.lastVolume = dVol;
    s.count++;
  }

  /**
   * The 5-level book of the current snapshot. Built only when a tick is materialized, from a stream
   * seeded by (instrument, snapshot number), so fast-forwarding skips it without changing anything.
   */
  private buildBook(inst: SimInstrument, s: InstState): void {
    const b = s.book;
    const r = this.bookRng;
    r.reseed(deriveSeed(s.seed, s.count));
    const maxV = inst.liquidity === 'liquid' ? (inst.kind === 'option' ? 60 : 300) : inst.liquidity === 'normal' ? 40 : 10;
    let bid1: number;
    let ask1: number;
    if (s.locked > 0) {
      bid1 = s.upT;
      ask1 = 0;
    } else if (s.locked < 0) {
      bid1 = 0;
      ask1 = s.downT;
    } else if (inst.deepOtm) {
      bid1 = 0;
      ask1 = s.downT;
    } else {
      const spread = inst.kind === 'option' ? r.int(1, 3) : r.chance(0.85) ? 1 : 2;
      bid1 = r.chance(0.5) ? s.lastT : s.lastT - 1;
      ask1 = bid1 + spread;
      if (ask1 > s.upT) {
        ask1 = s.upT;
        bid1 = s.upT - spread;
      }
      if (bid1 < s.downT) {
        bid1 = s.downT;
        ask1 = Math.min(s.downT + spread, s.upT);
      }
    }
    for (let k = 0; k < 5; k++) {
      const bp = bid1 > 0 ? bid1 - k : 0;
      if (bp > 0 && bp >= s.downT) {
        b[k] = bp;
        b[10 + k] = k === 0 && s.locked > 0 ? r.int(2_000, 60_000) : r.int(1, maxV);
      } else {
        b[k] = 0;
        b[10 + k] = 0;
      }
      const ap = ask1 > 0 ? ask1 + k : 0;
      if (ap > 0 && ap <= s.upT) {
        b[5 + k] = ap;
        b[15 + k] = k === 0 && (s.locked < 0 || inst.deepOtm) ? r.int(500, 30_000) : r.int(1, maxV);
      } else {
        b[5 + k] = 0;
        b[15 + k] = 0;
      }
    }
    // consecutive snapshots always differ (at least in the book): the first level's volume
    // alternates parity with the snapshot number
    const first = b[0]! > 0 ? 10 : 15;
    b[first] = 2 * b[first]! + (s.count & 1);
  }

  private materialize(i: number, s: InstState, stamp: number): MarketTick {
    const inst = this.universe[i] as SimInstrument;
    this.buildBook(inst, s);
    const b = s.book;
    const mult = inst.product.multiplier;
    let avg = 0;
    if (s.volume > 0) {
      if (inst.exchange === 'CZCE') avg = this.price(i, Math.round(s.turnover / (s.volume * mult) / inst.product.price_tick));
      else avg = s.turnover / s.volume;
    }
    return {
      symbol: inst.symbol,
      exchange: inst.exchange,
      datetime: stamp,
      trading_day: s.tradingDay,
      name: inst.name,
      volume: s.volume,
      turnover: s.turnover,
      open_interest: s.oi,
      last_price: this.price(i, s.lastT),
      last_volume: s.lastVolume,
      limit_up: this.price(i, s.upT),
      limit_down: this.price(i, s.downT),
      open_price: this.price(i, s.openT),
      high_price: this.price(i, s.highT),
      low_price: this.price(i, s.lowT),
      pre_close: this.price(i, s.preCloseT),
      pre_settlement: this.price(i, s.preSettleT),
      settlement: 0,
      average_price: avg,
      pre_open_interest: s.preOi,
      bid_price_1: this.price(i, b[0]!),
      bid_price_2: this.price(i, b[1]!),
      bid_price_3: this.price(i, b[2]!),
      bid_price_4: this.price(i, b[3]!),
      bid_price_5: this.price(i, b[4]!),
      ask_price_1: this.price(i, b[5]!),
      ask_price_2: this.price(i, b[6]!),
      ask_price_3: this.price(i, b[7]!),
      ask_price_4: this.price(i, b[8]!),
      ask_price_5: this.price(i, b[9]!),
      bid_volume_1: b[10]!,
      bid_volume_2: b[11]!,
      bid_volume_3: b[12]!,
      bid_volume_4: b[13]!,
      bid_volume_5: b[14]!,
      ask_volume_1: b[15]!,
      ask_volume_2: b[16]!,
      ask_volume_3: b[17]!,
      ask_volume_4: b[18]!,
      ask_volume_5: b[19]!,
      localtime: 0,
      gateway_name: '',
    };
  }
}

/** Shanghai calendar date 'YYYYMMDD' of an epoch ms (fixed +08:00). */
export function shanghaiDay(epochMs: number): string {
  const d = new Date(epochMs + 8 * 3_600_000);
  const m = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  return `${d.getUTCFullYear()}${m < 10 ? '0' : ''}${m}${day < 10 ? '0' : ''}${day}`;
}
