import type { Tick } from '@mdhub/protocol';
import type { Pattern } from './patterns.js';
import { matchesAny } from './patterns.js';

/**
 * The client's sequencing: one in-order stream per instrument, checked by `iseq`, merged with snapshots,
 * and fanned out to the subscriptions that match it. Pure: no sockets, no timers; the client feeds it
 * ticks and snapshot replies and carries out what it asks for (gap events, snapshot requests).
 *
 * Per instrument the client holds the last `iseq` it applied and that tick. A live tick is
 *  - a duplicate when its `iseq` is not above it (the same tick from both streams, or a snapshot that was
 *    ahead of the socket): dropped;
 *  - the next one: applied and delivered;
 *  - beyond the next one: a gap. With snapshots on, the instrument waits ("pending"): its live ticks are
 *    buffered, the client asks the snapshot service, and the reply is merged (docs/wire-protocol.md,
 *    "Joining the live stream with a snapshot"). Without, the tick is delivered and the gap reported.
 *
 * A gap in the hub-wide seq (a subscription of everything) or a `states_replaced` event stalls nothing:
 * the client asks for a snapshot and, once its stream has caught up with it, moves every instrument the
 * stream left behind the hub to the snapshot's state (an instrument that never ticked again after a loss).
 *
 * Joining: a subscription that asks for a snapshot ("joining") receives nothing until its snapshot is
 * merged. Meanwhile the live ticks of instruments nobody else holds are buffered; instruments the client
 * already holds keep flowing to the other subscriptions, and the joining one starts from the client's own
 * latest tick of them (the same or newer state than the snapshot's, and contiguous with what follows).
 *
 * Restart: a new run_id means new sequences: everything held is forgotten and a fresh snapshot joins
 * every subscription again.
 */

/** A subscription as the router sees it. */
export interface RouteTarget {
  readonly patterns: readonly Pattern[];
  /** Waiting for its join snapshot: receives nothing until {@link Router.applySnapshot} activates it. */
  joining: boolean;
  deliver(t: Tick): void;
}

/** What a snapshot request asks for: every instrument, or these vt_symbols. */
export type Cover = { readonly all: true } | { readonly all: false; readonly names: ReadonlySet<string> };

export const COVER_ALL: Cover = { all: true };

export function coverOf(names: Iterable<string>): Cover {
  return { all: false, names: new Set(names) };
}

export function coverUnion(a: Cover, b: Cover): Cover {
  if (a.all || b.all) return COVER_ALL;
  return coverOf([...a.names, ...b.names]);
}

/** A `last` reply of the snapshot service, validated. */
export interface SnapshotData {
  run_id: string;
  seq: number;
  ticks: Tick[];
  states: Record<string, string>;
  unknown: string[];
}

export type GapReason = 'iseq' | 'seq' | 'states_replaced';

export interface GapInfo {
  /** vt_symbol, or `*` for a gap in the hub-wide `seq`. */
  instrument: string;
  /** The sequence number expected next (`iseq`, or `seq` for `*`). */
  expected: number;
  /** The one that came instead (for a gap found at a heartbeat: the heartbeat's `seq` + 1; for `states_replaced`: `expected`). */
  got: number;
  reason: GapReason;
  /** Whether the client re-fetches the instrument(s) from the snapshot service. */
  recovering: boolean;
}

export interface RouterHost {
  gap(g: GapInfo): void;
  /** Asks for a snapshot of these instruments (the client coalesces requests of one turn). */
  recover(cover: Cover): void;
  /** The live ticks buffered for merges passed the bound: the client gives up merging. */
  bufferFull(buffered: number): void;
}

/** An open join: a snapshot request the client will send (or has sent) for these subscriptions. */
export interface Join {
  cover: Cover;
  readonly targets: Set<RouteTarget>;
}

interface Inst {
  readonly exchange: string;
  readonly symbol: string;
  readonly vt: string;
  /** Last applied iseq (0: nothing held). */
  lastIseq: number;
  last: Tick | null;
  /** Waiting for a snapshot: live ticks go to `buffer`. */
  pending: boolean;
  buffer: Tick[];
  /** Active subscriptions that match (cached; recomputed when `gen` is stale). */
  targets: RouteTarget[];
  /** Some subscription, active or joining, matches. */
  wanted: boolean;
  gen: number;
}

export interface RouterCounters {
  /** Ticks applied (delivered to the matching subscriptions). */
  applied: number;
  /** Copies dropped because their iseq was already applied (both streams, a snapshot ahead of the socket). */
  duplicates: number;
  /** Gaps found (iseq, seq, states_replaced). */
  gaps: number;
  /** Instruments brought back from a snapshot after a gap. */
  recovered: number;
  /** Ticks buffered while their instrument waited for a snapshot, now. */
  buffered: number;
}

export class Router {
  /** Snapshots on (join and recovery). Off: gaps are reported and the stream goes on as it comes. */
  recovering: boolean;
  private readonly byExchange = new Map<string, Map<string, Inst>>();
  private readonly targets = new Set<RouteTarget>();
  private readonly joins = new Set<Join>();
  private readonly pendingSet = new Set<Inst>();
  private gen = 1;
  readonly counters: RouterCounters = { applied: 0, duplicates: 0, gaps: 0, recovered: 0, buffered: 0 };

  // The hub-wide seq for subscriptions of everything: every seq up to `nextSeq - 1` was handed on; `early`
  // holds ticks that came early (batches of different exchanges of one turn come in any order).
  private seqArmed = false;
  private nextSeq = 0;
  /** seq → the tick held back (ordering `seq`), or null: already handed on (ordering `instrument`). */
  private readonly early = new Map<number, Tick | null>();

  constructor(private readonly host: RouterHost, opts: { recovering: boolean; maxBuffered: number; holdForOrder?: boolean }) {
    this.recovering = opts.recovering;
    this.maxBuffered = opts.maxBuffered;
    this.holdForOrder = opts.holdForOrder ?? true;
  }

  /**
   * A subscription of everything on the batch stream: hold a tick back until the ticks before it (by seq)
   * have come, so the hub's publish order is kept (`true`, the client's `order: 'seq'`), or hand every
   * tick on as it comes, in order per instrument only (`false`, `order: 'instrument'`: no waiting for the
   * other exchanges' batches of a turn).
   */
  private readonly holdForOrder: boolean;

  private readonly maxBuffered: number;

  // ---- subscriptions ---------------------------------------------------------------------------------

  addTarget(t: RouteTarget): void {
    this.targets.add(t);
    this.gen++;
  }

  /** Removes a subscription; instruments nobody matches any more are forgotten (a later join starts afresh). */
  removeTarget(t: RouteTarget): void {
    if (!this.targets.delete(t)) return;
    this.gen++;
    for (const j of this.joins) j.targets.delete(t);
    for (const [ex, bySym] of this.byExchange) {
      for (const [sym, inst] of bySym) {
        if (this.anyTargetMatches(inst)) continue;
        this.drop(inst);
        bySym.delete(sym);
      }
      if (bySym.size === 0) this.byExchange.delete(ex);
    }
  }

  /** Whether any subscription (active or joining) takes every instrument. */
  get hasAllTarget(): boolean {
    for (const t of this.targets) if (t.patterns.some((p) => p.kind === 'all')) return true;
    return false;
  }

  openJoin(cover: Cover, targets: Iterable<RouteTarget>): Join {
    const j: Join = { cover, targets: new Set(targets) };
    this.joins.add(j);
    return j;
  }

  /** The latest tick the client applied for an instrument. */
  latest(exchange: string, symbol: string): Tick | null {
    return this.byExchange.get(exchange)?.get(symbol)?.last ?? null;
  }

  *held(): IterableIterator<Tick> {
    for (const bySym of this.byExchange.values()) for (const i of bySym.values()) if (i.last) yield i.last;
  }

  /** A vt_symbol the client holds or waits for, matched by some subscription. */
  holds(vt: string): boolean {
    const dot = vt.lastIndexOf('.');
    const inst = dot > 0 ? this.byExchange.get(vt.slice(dot + 1))?.get(vt.slice(0, dot)) : undefined;
    if (inst === undefined) return false;
    this.refresh(inst);
    return inst.wanted && (inst.lastIseq > 0 || inst.pending);
  }

  /** Whether some subscription (active or joining) matches the instrument. */
  wants(symbol: string, exchange: string): boolean {
    for (const t of this.targets) if (matchesAny(t.patterns, symbol, exchange)) return true;
    return false;
  }

  // ---- live ticks ------------------------------------------------------------------------------------

  /** One live tick (from either stream). */
  onTick(t: Tick): void {
    const inst = this.inst(t.exchange, t.symbol);
    if (inst.gen !== this.gen) this.refresh(inst);
    if (!inst.wanted) return;
    this.advance(inst, t);
  }

  private advance(inst: Inst, t: Tick): void {
    if (inst.pending) {
      this.buffer(inst, t);
      return;
    }
    const last = inst.lastIseq;
    if (last > 0) {
      if (t.iseq <= last) {
        this.counters.duplicates++;
        return;
      }
      if (t.iseq === last + 1) {
        this.apply(inst, t);
        return;
      }
      this.gapAt(inst, t, last + 1);
      return;
    }
    // Nothing held yet.
    if (!this.recovering) {
      if (inst.targets.length > 0) this.apply(inst, t);
      return;
    }
    if (this.joinCovers(inst)) {
      // A join snapshot is coming: hold the live ticks until it is merged.
      inst.pending = true;
      this.pendingSet.add(inst);
      this.buffer(inst, t);
      return;
    }
    if (inst.targets.length === 0) return;
    // Joined, and the instrument had no state when the snapshot was taken: its first tick is iseq 1.
    if (t.iseq === 1) this.apply(inst, t);
    else this.gapAt(inst, t, 1);
  }

  private gapAt(inst: Inst, t: Tick, expected: number): void {
    this.counters.gaps++;
    this.host.gap({ instrument: inst.vt, expected, got: t.iseq, reason: 'iseq', recovering: this.recovering });
    if (!this.recovering) {
      this.apply(inst, t);
      return;
    }
    this.makePending(inst);
    this.buffer(inst, t);
    this.host.recover(coverOf([inst.vt]));
  }

  private makePending(inst: Inst): void {
    if (inst.pending) return;
    inst.pending = true;
    this.pendingSet.add(inst);
  }

  private buffer(inst: Inst, t: Tick): void {
    const b = inst.buffer;
    if (t.iseq <= inst.lastIseq || (b.length > 0 && t.iseq <= b[b.length - 1]!.iseq)) {
      this.counters.duplicates++;
      return;
    }
    b.push(t);
    if (++this.counters.buffered > this.maxBuffered) this.host.bufferFull(this.counters.buffered);
  }

  private apply(inst: Inst, t: Tick): void {
    inst.lastIseq = t.iseq;
    inst.last = t;
    this.counters.applied++;
    const ts = inst.targets;
    for (let i = 0; i < ts.length; i++) ts[i]!.deliver(t);
  }

  // ---- status events ---------------------------------------------------------------------------------

  /**
   * `states_replaced`: a new feeder's states stood in for states subscribers never received. For each
   * instrument held: a gap, and (snapshots on) a re-fetch.
   */
  statesReplaced(vts: readonly string[]): void {
    const names: string[] = [];
    for (const vt of vts) {
      const dot = vt.lastIndexOf('.');
      if (dot <= 0) continue;
      const inst = this.byExchange.get(vt.slice(dot + 1))?.get(vt.slice(0, dot));
      if (inst === undefined) continue;
      this.refresh(inst);
      if (!inst.wanted || (inst.lastIseq === 0 && !inst.pending)) continue;
      this.counters.gaps++;
      const next = inst.lastIseq + 1;
      this.host.gap({ instrument: inst.vt, expected: next, got: next, reason: 'states_replaced', recovering: this.recovering });
      // The replacement states come on the stream with the next iseq: nothing waits; the re-fetch brings
      // back what the stream would not (see applySnapshot).
      if (this.recovering) names.push(inst.vt);
    }
    if (names.length > 0) this.host.recover(coverOf(names));
  }

  // ---- the hub-wide seq (subscriptions of everything) --------------------------------------------------

  get seqChecking(): boolean {
    return this.seqArmed;
  }

  /** Every tick up to this seq has been handed on (or given up as lost); meaningful while seq is checked. */
  get seqPosition(): number {
    return this.nextSeq - 1;
  }

  /** Ticks held back until the ticks before them (by seq) arrive: batches of one turn come in any order. */
  get heldBack(): number {
    let n = 0;
    for (const t of this.early.values()) if (t !== null) n++;
    return n;
  }

  /** Starts checking seq: every seq after `hbSeq` (a heartbeat's, sent after the subscription took effect) must arrive. */
  armSeq(hbSeq: number): void {
    this.seqArmed = true;
    this.nextSeq = hbSeq + 1;
    this.releaseHeld(Infinity);
  }

  disarmSeq(): void {
    this.seqArmed = false;
    this.releaseHeld(Infinity);
  }

  /**
   * A live tick of a client that takes every tick (armed), or any tick (not armed: straight on).
   *
   * `inOrder`: the per-tick stream carries every tick, in publish order: a jump in seq is a loss, found at
   * once. Otherwise (the batch stream) the batches of the exchanges of one publish turn come in any order
   * relative to each other: a tick whose predecessors (by seq) have not arrived is held back until they
   * do, so a subscription of everything still sees the hub's publish order; what is still missing at the
   * next heartbeat (sent after every tick it counts) was lost.
   */
  onStreamTick(t: Tick, inOrder: boolean): void {
    if (!this.seqArmed) {
      this.onTick(t);
      return;
    }
    const seq = t.seq;
    if (seq === this.nextSeq) {
      this.nextSeq++;
      this.onTick(t);
      if (this.early.size > 0) this.releaseContiguous();
      return;
    }
    if (seq < this.nextSeq) {
      this.onTick(t); // a copy from the other stream, or a tick given up on: the iseq check decides
      return;
    }
    if (inOrder) {
      const expected = this.nextSeq;
      this.nextSeq = seq + 1;
      this.seqGap(expected, seq);
      this.onTick(t);
      return;
    }
    if (this.early.has(seq)) {
      this.onTick(t); // the same tick from the other stream: the iseq check drops it
      return;
    }
    if (this.holdForOrder) this.early.set(seq, t);
    else {
      this.early.set(seq, null);
      this.onTick(t);
    }
    if (this.early.size > MAX_HELD) {
      // Far more than one turn's worth: the predecessors are not coming.
      let first = Infinity;
      for (const k of this.early.keys()) if (k < first) first = k;
      const expected = this.nextSeq;
      this.nextSeq = first;
      this.seqGap(expected, first);
      this.releaseContiguous();
    }
  }

  /** A heartbeat: every tick up to its seq was sent before it, so all of them must have arrived. */
  seqHeartbeat(hbSeq: number): void {
    if (!this.seqArmed || this.nextSeq > hbSeq) return;
    const expected = this.nextSeq;
    let got = hbSeq + 1;
    for (const s of this.early.keys()) if (s < got) got = s;
    this.seqGap(expected, got);
    this.releaseHeld(hbSeq);
    if (this.nextSeq <= hbSeq) this.nextSeq = hbSeq + 1;
    this.releaseContiguous();
  }

  private releaseContiguous(): void {
    while (this.early.has(this.nextSeq)) {
      const t = this.early.get(this.nextSeq)!;
      this.early.delete(this.nextSeq);
      this.nextSeq++;
      if (t !== null) this.onTick(t);
    }
  }

  /** Hands on, in seq order, every held tick up to `upTo`. */
  private releaseHeld(upTo: number): void {
    if (this.early.size === 0) return;
    const out = [...this.early.keys()].filter((k) => k <= upTo).sort((a, b) => a - b);
    for (const k of out) {
      const t = this.early.get(k)!;
      this.early.delete(k);
      if (k >= this.nextSeq) this.nextSeq = k + 1;
      if (t !== null) this.onTick(t);
    }
  }

  private seqGap(expected: number, got: number): void {
    this.counters.gaps++;
    this.host.gap({ instrument: '*', expected, got, reason: 'seq', recovering: this.recovering });
    // Which instruments lost ticks is unknown. Those that tick again show it by their iseq; the others are
    // found by a snapshot of everything, merged once the stream has caught up with it (see applySnapshot).
    // Nothing waits meanwhile.
    if (this.recovering) this.host.recover(COVER_ALL);
  }

  // ---- snapshots -------------------------------------------------------------------------------------

  /**
   * Merges a snapshot reply (or, with `data` null, gives up waiting for one: what was buffered is applied
   * as it came). `join`: the subscriptions it activates. Every instrument waiting and covered is resumed.
   *
   * The caller merges a reply only once the stream has caught up with it (every tick up to the reply's
   * `seq` has been read, or lost): then what the client buffered is all it will ever get up to the
   * snapshot, so an instrument is moved to the snapshot's state only over ticks that were truly lost,
   * never over ticks still on their way.
   */
  applySnapshot(cover: Cover, data: SnapshotData | null, join: Join | null): void {
    const activated: RouteTarget[] = [];
    if (join !== null) {
      this.joins.delete(join);
      for (const t of join.targets) {
        if (t.joining && this.targets.has(t)) {
          t.joining = false;
          activated.push(t);
        }
      }
      this.gen++;
    }
    const bases: Array<{ t: Tick; inst: Inst | null; to: RouteTarget[] | null }> = [];
    const resumed = new Map<Inst, Tick | null>();
    const seen = new Set<Inst>();
    if (data !== null) {
      for (const t of data.ticks) {
        const bySym = this.byExchange.get(t.exchange);
        let inst = bySym?.get(t.symbol);
        if (inst === undefined) {
          if (!this.wants(t.symbol, t.exchange)) continue;
          inst = this.inst(t.exchange, t.symbol);
        }
        this.refresh(inst);
        if (!inst.wanted) continue;
        seen.add(inst);
        if (inst.pending) {
          if (coverHas(cover, inst.vt)) resumed.set(inst, t);
        } else if (inst.lastIseq === 0) {
          // New to the client: the snapshot's state is where it starts.
          inst.lastIseq = t.iseq;
          inst.last = t;
          bases.push({ t, inst, to: null });
        } else if (t.iseq > inst.lastIseq && coverHas(cover, inst.vt)) {
          // Held, but behind the hub although the stream has caught up with the snapshot: the ticks in
          // between were lost on the way (a seq gap, or the last ticks before a silence). The snapshot's state
          // stands in for them.
          this.counters.gaps++;
          this.counters.recovered++;
          this.host.gap({ instrument: inst.vt, expected: inst.lastIseq + 1, got: t.iseq, reason: 'iseq', recovering: true });
          inst.lastIseq = t.iseq;
          inst.last = t;
          bases.push({ t, inst, to: null });
        } else {
          // Held already (and contiguous): a subscription joining now starts from the client's latest.
          const to = activated.filter((a) => matchesAny(a.patterns, inst!.symbol, inst!.exchange));
          if (to.length > 0) bases.push({ t: inst.last!, inst: null, to });
        }
      }
    }
    // Held instruments a joining subscription matches that the reply left out (a reply of another run, or none).
    if (activated.length > 0) {
      for (const bySym of this.byExchange.values()) {
        for (const inst of bySym.values()) {
          if (seen.has(inst) || inst.pending || inst.last === null) continue;
          const to = activated.filter((a) => matchesAny(a.patterns, inst.symbol, inst.exchange));
          if (to.length > 0) bases.push({ t: inst.last, inst: null, to });
        }
      }
    }
    // Instruments waiting and covered that the reply has no state of (unknown to the hub, or no reply).
    for (const inst of this.pendingSet) if (!resumed.has(inst) && (data === null || !seen.has(inst)) && coverHas(cover, inst.vt)) resumed.set(inst, null);

    const replay: Tick[] = [];
    for (const [inst, base] of resumed) {
      this.pendingSet.delete(inst);
      inst.pending = false;
      const buf = inst.buffer;
      inst.buffer = [];
      this.counters.buffered -= buf.length;
      this.refresh(inst);
      // A subscription joining now starts from what the client held.
      if (inst.last !== null && activated.length > 0) {
        for (const a of activated) if (matchesAny(a.patterns, inst.symbol, inst.exchange)) a.deliver(inst.last);
      }
      let i = 0;
      if (inst.lastIseq > 0) {
        // What arrived contiguously while waiting needs nothing from the snapshot.
        while (i < buf.length && buf[i]!.iseq <= inst.lastIseq + 1) {
          const t = buf[i++]!;
          if (t.iseq !== inst.lastIseq + 1) continue;
          inst.lastIseq = t.iseq;
          inst.last = t;
          bases.push({ t, inst, to: null });
        }
      }
      if (base !== null && base.iseq > inst.lastIseq) {
        if (inst.lastIseq > 0) this.counters.recovered++;
        inst.lastIseq = base.iseq;
        inst.last = base;
        bases.push({ t: base, inst, to: null });
      }
      for (; i < buf.length; i++) replay.push(buf[i]!);
    }

    // Snapshot states (and what arrived contiguously while waiting) in seq order, then the rest of what was buffered.
    bases.sort((a, b) => a.t.seq - b.t.seq);
    for (const b of bases) {
      if (b.to === null) {
        this.counters.applied++;
        const inst = b.inst!;
        this.refresh(inst);
        for (const tg of inst.targets) tg.deliver(b.t);
      } else {
        for (const tg of b.to) tg.deliver(b.t);
      }
    }
    if (replay.length === 0) return;
    replay.sort((a, b) => a.seq - b.seq);
    const wasRecovering = this.recovering;
    if (data === null) this.recovering = false; // giving up: apply what came, report holes, fetch nothing
    try {
      for (const t of replay) {
        const inst = this.inst(t.exchange, t.symbol);
        this.refresh(inst);
        if (inst.wanted) this.advance(inst, t);
      }
    } finally {
      this.recovering = wasRecovering;
    }
  }

  /** Gives up every merge in progress: buffered ticks are applied as they came (holes reported), every join completes. */
  abandonAll(): void {
    const joins = [...this.joins];
    for (const j of joins) this.applySnapshot(j.cover, null, j);
    if (this.pendingSet.size > 0) this.applySnapshot(COVER_ALL, null, null);
  }

  /** A new hub run: sequences restart, so everything held is forgotten and open joins are dropped. */
  reset(): void {
    this.byExchange.clear();
    this.pendingSet.clear();
    this.joins.clear();
    this.counters.buffered = 0;
    this.seqArmed = false;
    this.early.clear();
    this.gen++;
  }

  // ---- internals -------------------------------------------------------------------------------------

  private inst(exchange: string, symbol: string): Inst {
    let bySym = this.byExchange.get(exchange);
    if (bySym === undefined) this.byExchange.set(exchange, (bySym = new Map()));
    let inst = bySym.get(symbol);
    if (inst === undefined) {
      inst = { exchange, symbol, vt: `${symbol}.${exchange}`, lastIseq: 0, last: null, pending: false, buffer: [], targets: [], wanted: false, gen: 0 };
      bySym.set(symbol, inst);
    }
    return inst;
  }

  private refresh(inst: Inst): void {
    if (inst.gen === this.gen) return;
    inst.gen = this.gen;
    const active: RouteTarget[] = [];
    let wanted = false;
    for (const t of this.targets) {
      if (!matchesAny(t.patterns, inst.symbol, inst.exchange)) continue;
      wanted = true;
      if (!t.joining) active.push(t);
    }
    inst.targets = active;
    inst.wanted = wanted;
  }

  private anyTargetMatches(inst: Inst): boolean {
    for (const t of this.targets) if (matchesAny(t.patterns, inst.symbol, inst.exchange)) return true;
    return false;
  }

  private joinCovers(inst: Inst): boolean {
    for (const j of this.joins) if (coverHas(j.cover, inst.vt)) return true;
    return false;
  }

  private drop(inst: Inst): void {
    if (inst.pending) {
      this.pendingSet.delete(inst);
      this.counters.buffered -= inst.buffer.length;
      inst.buffer = [];
      inst.pending = false;
    }
  }
}

/** Ticks held back for seq order at most (a turn's batches are far fewer): beyond, the missing ones are given up. */
const MAX_HELD = 100_000;

function coverHas(c: Cover, vt: string): boolean {
  return c.all || c.names.has(vt);
}
