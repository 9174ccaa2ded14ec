/**
 * One simulated market-data source: a replica of the tape as a vendor front would deliver it. Each
 * snapshot's copy arrives after a lognormal latency (in stream order: a source is one TCP stream, so
 * copies never overtake each other), may be dropped, and may be corrupted (bad-tick injection). Pure
 * logic: no timers, no sockets; the caller polls with the market clock.
 */
import type { MarketTick } from '@mdhub/protocol';
import { PackedCopies } from './packed.js';
import { deriveSeed, fmix32 } from './rng.js';
import { Tape } from './tape.js';
import type { TapeOptions, TapeSnapshot } from './tape.js';
import { ticksToPrice } from './universe.js';
import type { SimInstrument } from './universe.js';

/** Latency of a source: `minMs + (medianMs − minMs) · exp(sigma · Z)`, so the median is `medianMs`. */
export interface LatencyModel {
  medianMs: number;
  /** Log-space standard deviation of the lognormal part. */
  sigma: number;
  /** Floor of every latency, ms. */
  minMs: number;
}

/** Kinds of corrupted copies a replica injects. */
export type BadTickKind =
  /** last_price = DBL_MAX (CTP's "absent" marker leaking through). */
  | 'dbl_max'
  /** last_price negative. */
  | 'negative_price'
  /** bid_price_1 ≥ ask_price_1. */
  | 'crossed_book'
  /** last_price 20–50 % away from the true price (usually beyond the limits). */
  | 'price_jump'
  /** An older snapshot of the same instrument replayed (exchange fields of 3–8 snapshots back). */
  | 'stale_replay'
  /** datetime an hour in the future (a source with a wrong clock). */
  | 'future_time';

/** All {@link BadTickKind}s. */
export const BAD_TICK_KINDS: readonly BadTickKind[] = [
  'dbl_max', 'negative_price', 'crossed_book', 'price_jump', 'stale_replay', 'future_time',
];

/** CTP's DBL_MAX. */
export const DBL_MAX = 1.7976931348623157e308;

/** Options of a {@link SourceReplica}. */
export interface SourceReplicaOptions {
  /** The universe the tape is built from. */
  universe: readonly SimInstrument[];
  /** The tape's parameters (every replica built with the same ones sees the same ground truth). */
  tape: TapeOptions;
  /** This source's seed: latencies, drops and corruptions derive from it and from each snapshot. */
  sourceSeed: number | string;
  latency: LatencyModel;
  /** Probability that a copy never arrives; default 0. */
  dropRate?: number;
  /** Probability that a delivered copy is corrupted; default 0. */
  badTickRate?: number;
  /** Kinds to inject; default all of {@link BAD_TICK_KINDS}. */
  badKinds?: readonly BadTickKind[];
  /** Filled into each copy's gateway_name; default ''. */
  gatewayName?: string;
  /**
   * Deliver copies of snapshots emitted after this market ms only (a source started or restarted at
   * that moment); earlier snapshots are fast-forwarded silently. Default: the tape's startMs.
   */
  deliverFromMs?: number;
  /** Keep stream order (a copy never arrives before the previous one); default true. */
  fifo?: boolean;
  /**
   * Simulate the tape this many market ms ahead of `poll`'s now (default 0). Copies are still delivered
   * at their arrival times; only the simulation's work moves earlier, into the gaps between bursts, so
   * the cost of a source at a burst is delivering copies, not computing the market.
   */
  lookaheadMs?: number;
}

/** Result of {@link SourceReplica.poll}. */
export interface ReplicaPoll {
  /** Copies that have arrived by `marketNowMs`, in arrival order; localtime = arrival (market ms). */
  due: MarketTick[];
  /** Parallel to `due`: the corruption of each copy, or null for a faithful copy. */
  bad: (BadTickKind | null)[];
  /** Parallel to `due`: the tape's emission time of the snapshot each copy was made from. */
  emitMs: number[];
  /** Arrival time of the next copy (market ms), or null when the tape has nothing more. */
  nextDueMs: number | null;
}

/** Counters of a replica. */
export interface ReplicaStats {
  /** Tape snapshots seen since deliverFromMs. */
  emitted: number;
  dropped: number;
  corrupted: number;
  delivered: number;
}

interface Pending {
  arrival: number;
  emitMs: number;
  tick: MarketTick;
  bad: BadTickKind | null;
}

const HISTORY = 8;
const LOOKAHEAD_LIMIT = 200_000;

/**
 * A simulated source. `poll(now)` returns the copies whose emission time + latency ≤ now. Latency,
 * drop and corruption of a copy are functions of (sourceSeed, instrument, emission time) only, so a
 * restarted source with the same seed delivers the same copies at the same times, and two sources with
 * different seeds differ.
 */
export class SourceReplica {
  /** The replica's own tape (ground truth). */
  readonly tape: Tape;
  private readonly seed: number;
  private readonly latency: LatencyModel;
  private readonly dropRate: number;
  private badRate: number;
  private badKinds: readonly BadTickKind[];
  private readonly gatewayName: string;
  private readonly fifo: boolean;
  private readonly lookaheadMs: number;
  private readonly history: (MarketTick | undefined)[][];
  private readonly historyPos: Int32Array;
  private pending: Pending[] = [];
  private head = 0;
  private lastArrival = -Infinity;
  /** Until the first poll: emission times of dropped copies (see startDeliveryAt). */
  private droppedEmitMs: number[] | null = [];
  /** Pre-rendered copies, delivered before `pending` (see prerender). */
  private packed: PackedCopies | null = null;
  private readonly counters: ReplicaStats = { emitted: 0, dropped: 0, corrupted: 0, delivered: 0 };

  /** Builds the replica's tape and fast-forwards it to `deliverFromMs`. */
  constructor(opts: SourceReplicaOptions) {
    this.tape = new Tape(opts.universe, opts.tape);
    this.seed = typeof opts.sourceSeed === 'string' ? deriveSeed(opts.sourceSeed) : deriveSeed(opts.sourceSeed >>> 0, 'src');
    this.latency = opts.latency;
    this.dropRate = opts.dropRate ?? 0;
    this.badRate = opts.badTickRate ?? 0;
    this.badKinds = opts.badKinds && opts.badKinds.length > 0 ? opts.badKinds : BAD_TICK_KINDS;
    this.gatewayName = opts.gatewayName ?? '';
    this.fifo = opts.fifo ?? true;
    this.lookaheadMs = opts.lookaheadMs ?? 0;
    this.history = opts.universe.map(() => []);
    this.historyPos = new Int32Array(opts.universe.length);
    const from = opts.deliverFromMs ?? opts.tape.startMs;
    if (from > this.tape.cursorMs) this.tape.fastForward(from);
  }

  /** Counters since construction. */
  /**
   * Changes the share of corrupted copies from now on (a bad-tick flood and its end). Copies already
   * simulated ahead (the lookahead) keep theirs.
   */
  setBadTickRate(rate: number, kinds?: readonly BadTickKind[]): void {
    this.badRate = Math.min(1, Math.max(0, rate));
    if (kinds && kinds.length > 0) this.badKinds = kinds;
  }

  stats(): ReplicaStats {
    return { ...this.counters };
  }

  /** The latency (ms, before stream ordering) this source gives the snapshot (instrument, emitMs). */
  latencyOf(index: number, emitMs: number): number {
    const h = deriveSeed(this.seed, index, emitMs);
    return this.latencyFromHash(h);
  }

  private latencyFromHash(h: number): number {
    const u1 = Math.max(fmix32(h ^ 0x68e31da4) / 4294967296, 1e-12);
    const u2 = fmix32(h + 0x1b873593) / 4294967296;
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    const { medianMs, sigma, minMs } = this.latency;
    const lat = minMs + Math.max(0, medianMs - minMs) * Math.exp(sigma * z);
    return Math.max(Math.round(lat), Math.ceil(minMs));
  }

  /** Market ms the tape has been simulated to (copies of snapshots up to here are queued or delivered). */
  get simulatedToMs(): number {
    return this.tape.cursorMs;
  }

  /** Copies queued for delivery (simulated, not yet due). */
  get queued(): number {
    return this.pending.length - this.head + (this.packed?.size ?? 0);
  }

  /**
   * Simulates the tape up to `untilMs` now, ahead of delivery: the copies wait in the replica's queue,
   * and `poll` then only hands them out (a pre-rendered tape; see SimConfig.prerender). Returns the
   * number of copies queued.
   */
  prerender(untilMs: number): number {
    const packed = (this.packed ??= new PackedCopies(this.gatewayName));
    if (untilMs > this.tape.cursorMs) this.pump(this.tape.advance(untilMs));
    // Kept packed, outside the JS heap: the copies wait long and in large numbers.
    for (let i = this.head; i < this.pending.length; i++) {
      const p = this.pending[i] as Pending;
      packed.push(p.arrival, p.emitMs, p.tick, p.bad);
    }
    this.pending = [];
    this.head = 0;
    return this.queued;
  }

  /**
   * Delivery starts at `fromMs` (the source subscribes then): queued copies of snapshots emitted at or
   * before it are discarded, as if the replica had been built with `deliverFromMs = fromMs`, and the
   * counters restart. Call it before the first poll (drops are known by emission time until then).
   * Returns how many copies went.
   */
  startDeliveryAt(fromMs: number): number {
    const keep: Pending[] = [];
    let gone = 0;
    let corrupted = 0;
    if (this.packed) {
      const packed = new PackedCopies(this.gatewayName);
      for (let p = this.packed.shift(); p !== undefined; p = this.packed.shift()) {
        if (p.emitMs <= fromMs) gone++;
        else {
          packed.push(p.arrival, p.emitMs, p.tick, p.bad);
          if (p.bad !== null) corrupted++;
        }
      }
      this.packed = packed;
    }
    for (let i = this.head; i < this.pending.length; i++) {
      const p = this.pending[i] as Pending;
      if (p.emitMs <= fromMs) gone++;
      else {
        keep.push(p);
        if (p.bad !== null) corrupted++;
      }
    }
    this.pending = keep;
    this.head = 0;
    // The counters start afresh at fromMs (until the first poll, drops are known by their emission time).
    const dropped = (this.droppedEmitMs ?? []).filter((ms) => ms > fromMs).length;
    this.droppedEmitMs = null;
    Object.assign(this.counters, { emitted: this.queued + dropped, dropped, corrupted, delivered: 0 });
    if (this.tape.cursorMs < fromMs) this.tape.fastForward(fromMs);
    return gone;
  }

  /** Copies arrived by `marketNowMs` (see {@link ReplicaPoll}). */
  poll(marketNowMs: number): ReplicaPoll {
    this.droppedEmitMs = null;
    this.pump(this.tape.advance(marketNowMs + this.lookaheadMs));
    const due: MarketTick[] = [];
    const bad: (BadTickKind | null)[] = [];
    const emitMs: number[] = [];
    const packed = this.packed;
    if (packed !== null) {
      for (let a = packed.peekArrival(); a !== undefined && a <= marketNowMs; a = packed.peekArrival()) {
        const p = packed.shift()!;
        due.push(p.tick);
        bad.push(p.bad);
        emitMs.push(p.emitMs);
      }
      if (packed.size === 0) this.packed = null;
    }
    const q = this.pending;
    while (this.head < q.length) {
      const p = q[this.head] as Pending;
      if (p.arrival > marketNowMs) break;
      due.push(p.tick);
      bad.push(p.bad);
      emitMs.push(p.emitMs);
      this.head++;
    }
    this.counters.delivered += due.length;
    if (this.head > 4096 && this.head * 2 > q.length) {
      this.pending = q.slice(this.head);
      this.head = 0;
    }
    return { due, bad, emitMs, nextDueMs: this.nextDue() };
  }

  /** Arrival time of the next pending copy, looking ahead on the tape when nothing is pending. */
  private nextDue(): number | null {
    const packedNext = this.packed?.peekArrival();
    if (packedNext !== undefined) return packedNext;
    for (let guard = 0; guard < LOOKAHEAD_LIMIT; guard++) {
      if (this.head < this.pending.length) return (this.pending[this.head] as Pending).arrival;
      const next = this.tape.peekNextEmitMs();
      if (next === null) return null;
      // copies of snapshots emitted by `next` arrive at or after `next`: advancing the tape there is safe
      this.pump(this.tape.advance(next));
    }
    return null;
  }

  private pump(snaps: TapeSnapshot[]): void {
    for (const s of snaps) {
      this.counters.emitted++;
      const hist = this.history[s.index] as (MarketTick | undefined)[];
      const pos = this.historyPos[s.index] as number;
      const h = deriveSeed(this.seed, s.index, s.emitMs);
      const uDrop = fmix32(h ^ 0x2545f491) / 4294967296;
      if (uDrop < this.dropRate) {
        this.counters.dropped++;
        this.droppedEmitMs?.push(s.emitMs);
        hist[pos % HISTORY] = s.tick;
        this.historyPos[s.index] = pos + 1;
        continue;
      }
      let arrival = s.emitMs + this.latencyFromHash(h);
      if (this.fifo) {
        if (arrival < this.lastArrival) arrival = this.lastArrival;
        this.lastArrival = arrival;
      }
      // The tape's tick belongs to this replica's own tape: deliver it as is (no copy on the hot path);
      // only a corrupted copy is a new object, so the history keeps the true state.
      let kind: BadTickKind | null = null;
      const uBad = fmix32(h ^ 0x7f4a7c15) / 4294967296;
      const copy: MarketTick = uBad < this.badRate ? { ...s.tick } : s.tick;
      copy.localtime = arrival;
      copy.gateway_name = this.gatewayName;
      if (uBad < this.badRate) {
        const uKind = fmix32(h + 0x3c6ef372);
        kind = this.badKinds[uKind % this.badKinds.length] as BadTickKind;
        kind = this.corrupt(copy, kind, s.index, fmix32(uKind), hist, pos);
        this.counters.corrupted++;
      }
      hist[pos % HISTORY] = s.tick;
      this.historyPos[s.index] = pos + 1;
      this.pending.push({ arrival, emitMs: s.emitMs, tick: copy, bad: kind });
    }
  }

  /** Corrupts `t` in place; returns the kind actually applied. */
  private corrupt(t: MarketTick, kind: BadTickKind, index: number, u: number, hist: (MarketTick | undefined)[], pos: number): BadTickKind {
    const inst = this.tape.universe[index] as SimInstrument;
    const tick = inst.product.price_tick;
    const ref = t.last_price > 0 ? t.last_price : t.pre_close;
    switch (kind) {
      case 'dbl_max':
        t.last_price = DBL_MAX;
        return kind;
      case 'negative_price':
        t.last_price = -(ref > 0 ? ref : tick);
        return kind;
      case 'crossed_book':
        if (t.ask_price_1 > 0 && t.bid_price_1 > 0) {
          t.bid_price_1 = roundTo(t.ask_price_1 + tick * (1 + (u % 3)), tick);
        } else if (t.bid_price_1 > 0) {
          t.ask_price_1 = roundTo(t.bid_price_1 - tick * (1 + (u % 3)), tick);
          t.ask_volume_1 = 1;
        } else {
          t.bid_price_1 = roundTo(t.ask_price_1 + tick * (1 + (u % 3)), tick);
          t.bid_volume_1 = 1;
        }
        return kind;
      case 'price_jump': {
        const f = 0.2 + ((u >>> 4) % 31) / 100;
        const sign = u & 1 ? 1 : -1;
        t.last_price = roundTo(Math.max(ref * (1 + sign * f), tick), tick);
        if (t.last_price === ref) t.last_price = roundTo(ref * 1.5 + tick, tick);
        return kind;
      }
      case 'stale_replay': {
        const back = 3 + (u % 6);
        const n = Math.min(back, pos, HISTORY);
        const old = n >= 2 ? hist[(pos - n) % HISTORY] : undefined;
        if (old === undefined) {
          t.last_price = DBL_MAX;
          return 'dbl_max';
        }
        const { localtime, gateway_name } = t;
        Object.assign(t, old, { localtime, gateway_name });
        return kind;
      }
      case 'future_time':
        t.datetime += 3_600_000;
        return kind;
    }
  }
}

function roundTo(x: number, tick: number): number {
  return ticksToPrice(Math.round(x / tick), tick);
}
