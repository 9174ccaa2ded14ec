import { EventEmitter } from 'node:events';
import * as zmq from 'zeromq';
import type { Heartbeat, LogRecord, StatusEvent, Tick } from '@mdhub/protocol';
import {
  BATCH_FEATURE, BATCH_TOPIC_PREFIX, HEARTBEAT_TOPIC, LOG_TOPIC, STATUS_TOPIC, TICK_TOPIC_PREFIX, decodeEvent, decodeTick, decodeTickBatch,
} from '@mdhub/protocol';
import { ClientError } from './errors.js';
import type { ClientEvent, ClientEventMap, ClientEventType, ClientListeners, SnapshotReason } from './events.js';
import { Latency, type LatencyStats } from './latency.js';
import { Liveness } from './liveness.js';
import type { Pattern } from './patterns.js';
import { isWide, parsePattern, patternVt, wirePrefixes } from './patterns.js';
import type { OverflowPolicy, PushResult } from './queue.js';
import type { Cover, GapInfo, Join, RouterCounters, SnapshotData } from './router.js';
import { COVER_ALL, Router, coverOf, coverUnion } from './router.js';
import type { InstrumentDataState, InstrumentInfo } from './snapshot.js';
import { SnapshotService } from './snapshot.js';
import type { SubscribeOptions, SubscriptionOwner, TickHandler } from './subscription.js';
import { SubState, Subscription } from './subscription.js';

export interface ClientOptions {
  /** The hub's PUB endpoint, e.g. `tcp://127.0.0.1:7701`. */
  endpoint: string;
  /**
   * The hub's snapshot service, e.g. `tcp://127.0.0.1:7702`. With it, every subscription joins with a
   * snapshot (its instruments' current state first, then the live stream, no hole, no duplicate) and
   * gaps are recovered; without it, gaps are only reported.
   */
  snapshotEndpoint?: string;
  /** Join and recover with snapshots. Default: true when `snapshotEndpoint` is given. */
  snapshot?: boolean;
  /** How long one snapshot request may take, ms (default 3,000); `snapshotAttempts` (default 3) are made. */
  snapshotTimeoutMs?: number;
  snapshotAttempts?: number;
  /** After a snapshot could not be had, recovery stays off this long, ms (default 10,000): gaps are reported only. */
  snapshotRetryAfterMs?: number;
  /** Live ticks that may wait for snapshots at once before the client gives merging up (default 500,000). */
  maxBufferedTicks?: number;
  /** The hub is down when the socket is drained and nothing arrived for this long, ms (default 2,000). */
  staleAfterMs?: number;
  /** ZMQ_RCVHWM of the SUB socket, messages (default 1,000,000). */
  receiveHighWaterMark?: number;
  /** ZMQ_RCVBUF of the SUB socket, bytes (default: the OS's). */
  receiveBufferBytes?: number;
  /** Reconnect backoff of the sockets (libzmq reconnects by itself and re-sends subscriptions). */
  reconnectIntervalMs?: number;
  reconnectMaxIntervalMs?: number;
  /**
   * `auto` (default): `*`, `*.EXCH` and `PRODUCT*.EXCH` use the batch stream when the hub's heartbeat lists
   * the `batch` feature, the per-tick topics otherwise. `off`: per-tick topics only.
   */
  batch?: 'auto' | 'off';
  /**
   * Order of a subscription of everything on the batch stream (the batches of the exchanges of one
   * publish turn arrive in any order relative to each other). `seq` (default): the hub's publish order,
   * a tick held back until the ticks before it have come. `instrument`: every tick as it comes, in order
   * per instrument only; lowest latency in a burst. Other subscriptions are always in order per instrument.
   */
  order?: 'seq' | 'instrument';
  /** Defaults for every subscription (see {@link SubscribeOptions}). */
  maxQueue?: number;
  overflow?: OverflowPolicy;
  /** Aborting it closes the client. */
  signal?: AbortSignal;
}

export interface ClientStats {
  /** Messages read from the SUB socket. */
  messages: number;
  /** Ticks received (both streams, duplicates included). */
  ticks: number;
  /** Batch messages received. */
  batches: number;
  /** Ticks delivered to the strategy's subscriptions (per instrument, once, whatever the number of subscriptions). */
  applied: number;
  duplicates: number;
  gaps: number;
  recovered: number;
  /** Live ticks buffered now, waiting for a snapshot. */
  buffered: number;
  snapshots: number;
  snapshotFailures: number;
  restarts: number;
  badMessages: number;
  /** The stream wide subscriptions use: `unknown` until the first heartbeat. */
  stream: 'unknown' | 'tick' | 'batch';
  paused: boolean;
  latency: LatencyStats;
}

/** Options of {@link MdhubClient.events}. */
export interface EventsOptions {
  /** Only these event types (default: all). */
  types?: readonly ClientEventType[];
  /** Events that may wait for the consumer; beyond it the oldest are dropped (default 10,000). */
  maxQueue?: number;
  /** Aborting it ends the iteration. */
  signal?: AbortSignal;
}

/** Most names one `last` request may carry (the snapshot service's bound); beyond it everything is asked for. */
const SNAPSHOT_MAX_NAMES = 10_000;
/** Continuous receive work after which the event loop gets a turn (timers, the snapshot socket), ms. */
const YIELD_MS = 10;

/**
 * Strategy-side subscriber of an mdhub: one SUB socket (and a DEALER for the snapshot service).
 * Subscriptions by vt_symbol (`rb2701.SHFE`), product (`rb*.SHFE`), exchange (`*.SHFE`) or everything
 * (`*`), at any time. Per instrument the stream is checked by `iseq`, joined with a snapshot, recovered
 * after a gap and started afresh after a hub restart; the hub counts as down only once the socket is
 * drained and silent. See docs/client.md.
 */
export class MdhubClient implements SubscriptionOwner {
  private readonly emitter = new EventEmitter();
  private readonly sock: zmq.Subscriber;
  private readonly snap: SnapshotService | null;
  private readonly snapshotOn: boolean;
  private readonly router: Router;
  private readonly liveness: Liveness;
  private readonly latency = new Latency();
  private readonly subs = new Set<SubState>();
  private readonly prefixCount = new Map<string, number>();
  private readonly watchdog: NodeJS.Timeout;
  private readonly loop: Promise<void>;
  private readonly attempts: number;
  private readonly retryAfterMs: number;
  private runId: string | null = null;
  /** Bumped at every restart: snapshot replies of an older generation are ignored. */
  private generation = 0;
  /** Heartbeats received: fences count in heartbeats. */
  private heartbeats = 0;
  private stream: 'unknown' | 'tick' | 'batch';
  /** Joins waiting for their fence (a heartbeat count), not yet sent. */
  private joinSlots: Array<{ at: number; join: Join; reason: SnapshotReason }> = [];
  /** Heartbeat count from which the seq of a subscription of everything is checked. */
  private allFence = Infinity;
  private recoverNames = new Set<string>();
  private recoverAll = false;
  private recoverScheduled = false;
  private abandoning = false;
  private recoveryTimer: NodeJS.Timeout | null = null;
  private readonly states = new Map<string, InstrumentDataState>();
  /** Every tick up to this seq has been read (or lost): heartbeats, and ticks of a stream that proves it. */
  private position = 0;
  /** Snapshot replies waiting for the stream to reach their seq, in seq order. */
  private caughtUpWaiters: Array<{ seq: number; resolve: (ok: boolean) => void }> = [];
  /** Subscriptions with a wide pattern (they may be on the batch stream). */
  private wideCount = 0;
  private pausedNow = false;
  /** Receives started, whether one is waiting now, and the count the previous liveness check saw. */
  private receiving = 0;
  private waiting = false;
  private receivingAtCheck = -1;
  private lastCheck = performance.now();
  private readonly checkEveryMs: number;
  private resumeWaiter: (() => void) | null = null;
  private closed = false;
  private watchingLog = false;
  private readonly counts = { messages: 0, ticks: 0, batches: 0, snapshots: 0, snapshotFailures: 0, restarts: 0, badMessages: 0 };
  private detachSignal: (() => void) | null = null;
  /** The last heartbeat received (null before the first). */
  lastHeartbeat: Heartbeat | null = null;

  constructor(readonly options: ClientOptions) {
    this.emitter.setMaxListeners(0); // every events() iterator listens
    this.sock = new zmq.Subscriber({
      receiveHighWaterMark: options.receiveHighWaterMark ?? 1_000_000,
      reconnectInterval: options.reconnectIntervalMs ?? 100,
      reconnectMaxInterval: options.reconnectMaxIntervalMs ?? 2000,
      linger: 0,
      ...(options.receiveBufferBytes !== undefined ? { receiveBufferSize: options.receiveBufferBytes } : {}),
    });
    // ZMQ_IN_BATCH_SIZE (a draft option of libzmq, present in zeromq.js's build): read up to 64 KB (about 60
    // ticks) per syscall instead of 8 KB. Without it the default stays.
    try {
      (this.sock as unknown as { setInt32Option(id: number, v: number): void }).setInt32Option(ZMQ_IN_BATCH_SIZE, 65_536);
    } catch { /* libzmq without draft options */ }
    this.sock.connect(options.endpoint);
    // Heartbeats (liveness, run id, features, seq fences) and status events (states_replaced,
    // instrument_state) are always taken: the client's own rules need them.
    this.addPrefixes([HEARTBEAT_TOPIC, STATUS_TOPIC]);
    this.snap = options.snapshotEndpoint ? new SnapshotService(options.snapshotEndpoint, options.snapshotTimeoutMs ?? 3000) : null;
    this.snapshotOn = this.snap !== null && options.snapshot !== false;
    this.attempts = Math.max(1, options.snapshotAttempts ?? 3);
    this.retryAfterMs = options.snapshotRetryAfterMs ?? 10_000;
    this.stream = options.batch === 'off' ? 'tick' : 'unknown';
    this.router = new Router({
      gap: (g) => this.onGap(g),
      recover: (c) => this.scheduleRecovery(c),
      bufferFull: (n) => this.onBufferFull(n),
    }, { recovering: this.snapshotOn, maxBuffered: options.maxBufferedTicks ?? 500_000, holdForOrder: options.order !== 'instrument' });
    const stale = options.staleAfterMs ?? 2000;
    this.liveness = new Liveness(stale);
    this.checkEveryMs = Math.max(10, Math.min(250, stale / 4));
    this.watchdog = setInterval(() => this.checkLiveness(), this.checkEveryMs);
    this.watchdog.unref();
    if (options.signal) {
      const onAbort = (): void => void this.close();
      if (options.signal.aborted) queueMicrotask(onAbort);
      else {
        options.signal.addEventListener('abort', onAbort, { once: true });
        this.detachSignal = () => options.signal!.removeEventListener('abort', onAbort);
      }
    }
    this.loop = this.receive();
  }

  // ---- typed events ----------------------------------------------------------------------------------

  on<K extends keyof ClientListeners>(event: K, listener: ClientListeners[K]): this {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return this;
  }

  once<K extends keyof ClientListeners>(event: K, listener: ClientListeners[K]): this {
    this.emitter.once(event, listener as (...args: unknown[]) => void);
    return this;
  }

  off<K extends keyof ClientListeners>(event: K, listener: ClientListeners[K]): this {
    this.emitter.off(event, listener as (...args: unknown[]) => void);
    return this;
  }

  /**
   * Every event (or those of `types`) as an async iterator; ends when the client closes or `signal`
   * aborts. Bounded: beyond `maxQueue` waiting events the oldest are dropped.
   */
  events(opts: EventsOptions = {}): AsyncIterableIterator<ClientEvent> {
    return new EventStream(this, opts);
  }

  private emitEvent<K extends ClientEventType>(ev: ClientEventMap[K]): void {
    this.emitter.emit('event', ev);
    this.emitter.emit(ev.type, ev);
  }

  // ---- state -----------------------------------------------------------------------------------------

  /** The current hub run id (null before the first message). */
  get hubRunId(): string | null {
    return this.runId;
  }

  /** Whether the client judges the hub down now. */
  get hubDown(): boolean {
    return this.liveness.down;
  }

  /** The stream wide subscriptions use: `unknown` until the first heartbeat. */
  get batchStream(): boolean | null {
    return this.stream === 'unknown' ? null : this.stream === 'batch';
  }

  /** The latest tick the client delivered of an instrument (`rb2701.SHFE`), if it holds one. */
  latest(vtSymbol: string): Tick | undefined {
    const dot = vtSymbol.lastIndexOf('.');
    if (dot <= 0) return undefined;
    return this.router.latest(vtSymbol.slice(dot + 1), vtSymbol.slice(0, dot)) ?? undefined;
  }

  /** Every instrument's latest tick the client holds. */
  held(): Tick[] {
    return [...this.router.held()];
  }

  /** An instrument's data state as last reported (snapshot `states`, `instrument_state` events), if known. */
  instrumentState(vtSymbol: string): InstrumentDataState | undefined {
    return this.states.get(vtSymbol);
  }

  stats(): ClientStats {
    const r: RouterCounters = this.router.counters;
    return {
      ...this.counts, applied: r.applied, duplicates: r.duplicates, gaps: r.gaps, recovered: r.recovered, buffered: r.buffered,
      stream: this.stream, paused: this.pausedNow, latency: this.latency.stats(),
    };
  }

  // ---- subscribing -----------------------------------------------------------------------------------

  /**
   * Subscribes to instruments or patterns, at any time. With a handler, ticks go to it (a handler that
   * returns a promise is awaited before the next tick); otherwise iterate the result. With a snapshot
   * endpoint the subscription first receives its instruments' current state (`ready` resolves then).
   */
  subscribe(patterns: string | readonly string[], handler?: TickHandler | null, opts?: SubscribeOptions): Subscription;
  subscribe(patterns: string | readonly string[], opts: SubscribeOptions): Subscription;
  subscribe(patterns: string | readonly string[], handlerOrOpts?: TickHandler | SubscribeOptions | null, maybeOpts: SubscribeOptions = {}): Subscription {
    const handler = typeof handlerOrOpts === 'function' ? handlerOrOpts : null;
    const opts = typeof handlerOrOpts === 'object' && handlerOrOpts !== null ? handlerOrOpts : maybeOpts;
    const texts = typeof patterns === 'string' ? [patterns] : [...patterns];
    const parsed = texts.map(parsePattern);
    const s = new SubState(this, parsed, texts, handler, opts.maxQueue ?? this.options.maxQueue ?? 100_000, opts.overflow ?? this.options.overflow ?? 'conflate');
    const sub = new Subscription(s, this);
    if (this.closed || opts.signal?.aborted) {
      s.ended();
      return sub;
    }
    this.subs.add(s);
    if (parsed.some(isWide)) this.wideCount++;
    s.joining = this.snapshotOn;
    this.router.addTarget(s);
    s.prefixes = this.prefixesOf(parsed);
    this.addPrefixes(s.prefixes);
    if (parsed.some((p) => p.kind === 'all') && !this.router.seqChecking) this.allFence = Math.min(this.allFence, this.fenceAt());
    if (this.snapshotOn) this.addJoin(s, this.coverOf(parsed), this.fenceAt(), 'join');
    if (opts.signal) {
      const signal = opts.signal;
      const onAbort = (): void => this.closeSubscription(s);
      signal.addEventListener('abort', onAbort, { once: true });
      s.detachSignal = () => signal.removeEventListener('abort', onAbort);
    }
    return sub;
  }

  /** Ends a subscription (the same as `sub.close()`). */
  async unsubscribe(sub: Subscription): Promise<void> {
    this.closeSubscription(sub.state);
  }

  /** Also receive the hub's `log` records (emitted as `log`); `status` events always come. */
  watchEvents(): void {
    if (this.watchingLog || this.closed) return;
    this.watchingLog = true;
    this.addPrefixes([LOG_TOPIC]);
  }

  /** @internal */
  closeSubscription(s: SubState, error?: ClientError): void {
    if (s.closed) return;
    this.subs.delete(s);
    if (s.patterns.some(isWide)) this.wideCount--;
    this.router.removeTarget(s);
    if (!this.closed) this.removePrefixes(s.prefixes);
    s.prefixes = [];
    if (!this.router.hasAllTarget) {
      this.router.disarmSeq();
      this.allFence = Infinity;
    }
    s.ended(error);
  }

  /** @internal */
  handlerError(s: SubState, err: unknown): void {
    this.emitEvent<'handler_error'>({ type: 'handler_error', patterns: s.texts, error: err });
  }

  /** @internal */
  queueEvent(s: SubState, result: Exclude<PushResult, 'queued'>): void {
    if (result === 'conflated') {
      const n = s.queue.conflated;
      if ((n & (n - 1)) === 0) this.emitEvent<'conflated'>({ type: 'conflated', patterns: s.texts, conflated: n, queued: s.queue.length });
      return;
    }
    const error = new ClientError('MDH_ERR_CLIENT_QUEUE_OVERFLOW', { patterns: s.texts, maxQueue: s.queue.maxQueue });
    this.closeSubscription(s, error);
    this.emitEvent<'overflow'>({ type: 'overflow', patterns: s.texts, maxQueue: s.queue.maxQueue, error });
  }

  // ---- reading the socket ----------------------------------------------------------------------------

  /**
   * Stops reading the SUB socket (a test hook, and for a strategy that must stop the world): messages
   * then wait in libzmq up to the high-water marks (this socket's, then the hub's per-subscriber send
   * queue), beyond which they are lost and come back as gaps. Liveness is not judged while paused.
   */
  pause(): void {
    this.pausedNow = true;
  }

  resume(): void {
    this.pausedNow = false;
    const w = this.resumeWaiter;
    this.resumeWaiter = null;
    w?.();
  }

  get paused(): boolean {
    return this.pausedNow;
  }

  private async receive(): Promise<void> {
    const sock = this.sock;
    let busyMs = 0;
    while (!this.closed) {
      if (this.pausedNow) {
        await new Promise<void>((r) => { this.resumeWaiter = r; });
        continue;
      }
      let frames: Buffer[];
      try {
        this.receiving++;
        this.waiting = true;
        frames = await sock.receive();
        this.waiting = false;
      } catch (err) {
        if (!this.closed && this.emitter.listenerCount('error') > 0) this.emitter.emit('error', err);
        return;
      }
      if (this.closed) return;
      const t0 = performance.now();
      this.onMessage(frames);
      // While messages wait, zeromq.js can hand them over without leaving the microtask queue: after
      // YIELD_MS of work the event loop gets a turn (timers, the snapshot socket's replies).
      busyMs += performance.now() - t0;
      if (busyMs >= YIELD_MS) {
        busyMs = 0;
        await new Promise<void>((r) => setImmediate(r));
      }
    }
  }

  private onMessage(frames: Buffer[]): void {
    const topic = frames[0];
    const payload = frames[1];
    if (topic === undefined || payload === undefined) return;
    this.counts.messages++;
    const wasDown = this.liveness.message();
    try {
      if (startsWithBytes(topic, TICK_PREFIX_BYTES)) {
        const t = decodeTick(payload);
        this.counts.ticks++;
        this.onTick(t, Latency.nowUs(), this.stream === 'tick');
        // On the per-tick topics everything before this tick has come (batches come at the end of a turn,
        // after its per-tick messages: with batch topics in use, only heartbeats say so).
        if (this.stream !== 'batch' || !this.wideSubs) this.advancePosition(t.seq);
      } else if (startsWithBytes(topic, BATCH_PREFIX_BYTES)) {
        const b = decodeTickBatch(payload);
        this.counts.batches++;
        this.counts.ticks += b.ticks.length;
        const now = Latency.nowUs();
        for (const t of b.ticks) this.onTick(t, now, false);
        if (this.router.seqChecking) this.advancePosition(this.router.seqPosition);
      } else {
        this.onEventMessage(topic.toString('latin1'), payload);
      }
    } catch (err) {
      this.counts.badMessages++;
      this.emitEvent<'bad_message'>({ type: 'bad_message', topic: topic.toString('latin1'), error: String(err) });
    }
    if (wasDown && !this.liveness.down) this.emitEvent<'hub_up'>({ type: 'hub_up', runId: this.runId ?? '' });
  }

  private onTick(t: Tick, recvUs: number, inOrder: boolean): void {
    if (t.run_id !== this.runId) this.onRun(t.run_id, false);
    this.latency.sample(recvUs, t.hub_pub_ts, t.hub_recv_ts, t.gw_recv_ts);
    this.router.onStreamTick(t, inOrder);
  }

  private onEventMessage(topic: string, payload: Buffer): void {
    if (topic === HEARTBEAT_TOPIC) {
      this.onHeartbeat(decodeEvent<Heartbeat>(payload));
    } else if (topic === STATUS_TOPIC) {
      const st = decodeEvent<StatusEvent>(payload);
      if (typeof st.run_id === 'string' && st.run_id !== this.runId) this.onRun(st.run_id, false);
      if (st.kind === 'states_replaced' && Array.isArray(st['instruments'])) {
        this.router.statesReplaced((st['instruments'] as unknown[]).filter((x): x is string => typeof x === 'string'));
      } else if (st.kind === 'instrument_state' && typeof st['vt_symbol'] === 'string') {
        this.setState(st['vt_symbol'], st['state'], typeof st['reason'] === 'string' ? st['reason'] : null, 'status');
      }
      this.emitEvent<'status'>({ type: 'status', status: st });
    } else if (topic === LOG_TOPIC) {
      if (this.watchingLog) this.emitEvent<'log'>({ type: 'log', log: decodeEvent<LogRecord>(payload) });
    }
  }

  private onHeartbeat(hb: Heartbeat): void {
    this.lastHeartbeat = hb;
    this.heartbeats++;
    if (typeof hb.run_id === 'string') this.onRun(hb.run_id, true);
    if (this.options.batch !== 'off') this.setStream(Array.isArray(hb.features) && hb.features.includes(BATCH_FEATURE) ? 'batch' : 'tick');
    // The hub-wide seq of a subscription of everything: armed once the subscription surely took effect.
    if (typeof hb.seq === 'number') {
      if (this.router.seqChecking) this.router.seqHeartbeat(hb.seq);
      else if (this.heartbeats >= this.allFence && this.router.hasAllTarget) this.router.armSeq(hb.seq);
    }
    if (typeof hb.seq === 'number') this.advancePosition(hb.seq);
    if (this.joinSlots.length > 0) {
      const due = this.joinSlots.filter((j) => j.at <= this.heartbeats);
      if (due.length > 0) {
        this.joinSlots = this.joinSlots.filter((j) => j.at > this.heartbeats);
        for (const j of due) void this.fetch(j.join.cover, j.join, j.reason);
      }
    }
    this.emitEvent<'heartbeat'>({ type: 'heartbeat', heartbeat: hb });
  }

  /** A message of run `runId`. A different run than the one held is a hub restart. */
  private onRun(runId: string, fromHeartbeat: boolean): void {
    if (this.runId === runId) return;
    const previous = this.runId;
    this.runId = runId;
    if (previous === null) return;
    this.counts.restarts++;
    this.generation++;
    this.router.reset();
    this.position = 0;
    for (const w of this.caughtUpWaiters) w.resolve(false);
    this.caughtUpWaiters = [];
    this.joinSlots = [];
    this.recoverNames.clear();
    this.recoverAll = false;
    // After a reconnect libzmq re-sends every subscription at once: the new run's first heartbeat is the fence.
    const fence = fromHeartbeat ? this.heartbeats : this.heartbeats + 1;
    if (this.router.hasAllTarget) this.allFence = fence;
    if (this.snapshotOn && this.subs.size > 0) {
      let cover: Cover = coverOf([]);
      for (const s of this.subs) cover = coverUnion(cover, this.coverOf(s.patterns));
      this.joinSlots.push({ at: fence, join: this.router.openJoin(cover, this.subs), reason: 'restart' });
    }
    this.emitEvent<'hub_restart'>({ type: 'hub_restart', previousRunId: previous, runId });
  }

  /**
   * "Drained" without asking the socket (reading ZMQ_EVENTS outside zeromq.js's poller can swallow the
   * edge-triggered wake-up it waits for, and a receive then hangs with messages queued): the receive loop
   * has been waiting in the same receive since the previous check. Between two checks the event loop
   * has polled the socket at least once, so a message waiting would have ended that receive. A check that
   * comes late (the event loop was busy: a slow strategy) only notes where the loop is.
   */
  private checkLiveness(): void {
    if (this.closed) return;
    const now = performance.now();
    const late = now - this.lastCheck > 3 * this.checkEveryMs;
    this.lastCheck = now;
    const drained = !late && this.waiting && !this.pausedNow && this.receiving === this.receivingAtCheck;
    this.receivingAtCheck = this.receiving;
    const silent = this.liveness.check(drained);
    if (silent !== null) this.emitEvent<'hub_down'>({ type: 'hub_down', silentMs: Math.round(silent) });
  }

  // ---- wire prefixes and the batch stream ------------------------------------------------------------

  private prefixesOf(patterns: readonly Pattern[]): string[] {
    const out = new Set<string>();
    for (const p of patterns) {
      if (!isWide(p) || this.stream === 'tick') for (const x of wirePrefixes(p, 'tick')) out.add(x);
      else if (this.stream === 'batch') for (const x of wirePrefixes(p, 'batch')) out.add(x);
      else {
        // Not known yet whether the hub serves batches: both, duplicates dropped by iseq, until the first heartbeat.
        for (const x of wirePrefixes(p, 'tick')) out.add(x);
        for (const x of wirePrefixes(p, 'batch')) out.add(x);
      }
    }
    return [...out];
  }

  private setStream(mode: 'tick' | 'batch'): void {
    if (this.stream === mode) return;
    this.stream = mode;
    for (const s of this.subs) {
      const next = this.prefixesOf(s.patterns);
      this.addPrefixes(next);
      this.removePrefixes(s.prefixes);
      s.prefixes = next;
    }
    this.emitEvent<'stream'>({ type: 'stream', batch: mode === 'batch' });
  }

  private addPrefixes(list: readonly string[]): void {
    for (const p of list) {
      const n = this.prefixCount.get(p) ?? 0;
      if (n === 0) this.sock.subscribe(p);
      this.prefixCount.set(p, n + 1);
    }
  }

  private removePrefixes(list: readonly string[]): void {
    for (const p of list) {
      const n = (this.prefixCount.get(p) ?? 1) - 1;
      if (n <= 0) {
        this.prefixCount.delete(p);
        this.sock.unsubscribe(p);
      } else {
        this.prefixCount.set(p, n);
      }
    }
  }

  // ---- snapshots -------------------------------------------------------------------------------------

  /**
   * The heartbeat count at which a subscription made now is surely in force at the hub: the second
   * heartbeat from now (one may have been on its way when it was sent), or the first one on a connection
   * that has seen none yet (libzmq sends the subscriptions as the connection opens).
   */
  private fenceAt(): number {
    return this.heartbeats === 0 ? 1 : this.heartbeats + 2;
  }

  private coverOf(patterns: readonly Pattern[]): Cover {
    const names: string[] = [];
    for (const p of patterns) {
      const vt = patternVt(p);
      if (vt === null) return COVER_ALL;
      names.push(vt);
    }
    return coverOf(names);
  }

  private addJoin(s: SubState, cover: Cover, at: number, reason: SnapshotReason): void {
    // Subscriptions made in one go (before the same fence) share one request.
    const slot = this.joinSlots.find((j) => j.at === at && j.reason === reason);
    if (slot) {
      slot.join.cover = coverUnion(slot.join.cover, cover);
      slot.join.targets.add(s);
      return;
    }
    this.joinSlots.push({ at, join: this.router.openJoin(cover, [s]), reason });
  }

  private onGap(g: GapInfo): void {
    this.emitEvent<'gap'>({ type: 'gap', ...g });
  }

  private scheduleRecovery(c: Cover): void {
    if (c.all) this.recoverAll = true;
    else for (const n of c.names) this.recoverNames.add(n);
    if (this.recoverScheduled) return;
    this.recoverScheduled = true;
    // Every gap found in this turn goes in one request.
    setImmediate(() => {
      this.recoverScheduled = false;
      if (this.closed) return;
      const cover = this.recoverAll ? COVER_ALL : coverOf(this.recoverNames);
      this.recoverAll = false;
      this.recoverNames = new Set();
      if (!cover.all && cover.names.size === 0) return;
      void this.fetch(cover, null, 'gap');
    });
  }

  private advancePosition(seq: number): void {
    if (seq <= this.position) return;
    this.position = seq;
    if (this.caughtUpWaiters.length === 0 || this.caughtUpWaiters[0]!.seq > seq) return;
    const due = this.caughtUpWaiters.filter((w) => w.seq <= seq);
    this.caughtUpWaiters = this.caughtUpWaiters.filter((w) => w.seq > seq);
    for (const w of due) w.resolve(true);
  }

  /** Resolves true once every tick up to `seq` has been read; false when the run ends first (a restart, close). */
  private caughtUp(seq: number): Promise<boolean> {
    if (seq <= this.position) return Promise.resolve(true);
    return new Promise((resolve) => {
      const i = this.caughtUpWaiters.findIndex((w) => w.seq > seq);
      const w = { seq, resolve };
      if (i < 0) this.caughtUpWaiters.push(w);
      else this.caughtUpWaiters.splice(i, 0, w);
    });
  }

  /** Whether some subscription is wide (may be on the batch stream). */
  private get wideSubs(): boolean {
    return this.wideCount > 0;
  }

  /** Asks for a snapshot (retrying) and merges it; after the last attempt, gives the merge up. */
  private async fetch(cover: Cover, join: Join | null, reason: SnapshotReason): Promise<void> {
    const snap = this.snap!;
    const generation = this.generation;
    const t0 = performance.now();
    const names = cover.all || cover.names.size > SNAPSHOT_MAX_NAMES ? undefined : [...cover.names];
    let error: ClientError = new ClientError('MDH_ERR_CLIENT_SNAPSHOT_TIMEOUT');
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (this.closed || generation !== this.generation) return;
      let data: SnapshotData;
      try {
        data = await snap.last(names);
      } catch (err) {
        error = err instanceof ClientError ? err : new ClientError('MDH_ERR_CLIENT_SNAPSHOT_BAD_REPLY', {}, err);
        if (error.code === 'MDH_ERR_CLIENT_CLOSED' || error.code === 'MDH_ERR_CLIENT_SNAPSHOT_REFUSED') break;
        continue;
      }
      if (this.closed || generation !== this.generation) return;
      if (data.run_id !== this.runId) {
        // The hub restarted and the stream has not shown it yet (or the stream is behind): the stream decides.
        error = new ClientError('MDH_ERR_CLIENT_SNAPSHOT_BAD_REPLY', { reason: `reply of run ${data.run_id} while the stream is on run ${this.runId ?? 'none'}` });
        await new Promise((r) => setTimeout(r, 250));
        continue;
      }
      // Merged once the stream has read everything up to the snapshot: only then does the client know
      // which ticks were lost and which are merely still on their way.
      if (!(await this.caughtUp(data.seq)) || this.closed || generation !== this.generation) return;
      for (const [vt, st] of Object.entries(data.states)) this.setState(vt, st, null, 'snapshot');
      this.router.applySnapshot(cover, data, join);
      this.counts.snapshots++;
      this.emitEvent<'snapshot'>({ type: 'snapshot', reason, runId: data.run_id, seq: data.seq, instruments: data.ticks.length, ms: Math.round((performance.now() - t0) * 10) / 10 });
      return;
    }
    if (this.closed || generation !== this.generation) return;
    this.giveUp(reason, error, () => this.router.applySnapshot(cover, null, join));
  }

  /** No snapshot to be had: deliver what waited, report holes without recovering, retry recovery later. */
  private giveUp(reason: SnapshotReason, error: ClientError, flush: () => void): void {
    this.counts.snapshotFailures++;
    this.router.recovering = false;
    flush();
    if (this.recoveryTimer) clearTimeout(this.recoveryTimer);
    this.recoveryTimer = setTimeout(() => {
      this.recoveryTimer = null;
      if (!this.closed) this.router.recovering = this.snapshotOn;
    }, this.retryAfterMs);
    this.recoveryTimer.unref();
    this.emitEvent<'snapshot_failed'>({ type: 'snapshot_failed', reason, error, retryInMs: this.retryAfterMs });
  }

  private onBufferFull(buffered: number): void {
    if (this.abandoning) return;
    this.abandoning = true;
    this.router.recovering = false;
    setImmediate(() => {
      this.abandoning = false;
      if (this.closed) return;
      this.giveUp('gap', new ClientError('MDH_ERR_CLIENT_MERGE_BUFFER_FULL', { buffered }), () => this.router.abandonAll());
    });
  }

  private setState(vt: string, state: unknown, reason: string | null, from: 'status' | 'snapshot'): void {
    if (state !== 'ok' && state !== 'stale' && state !== 'suspect') return;
    const previous = this.states.get(vt) ?? null;
    if (previous === state) return;
    const dot = vt.lastIndexOf('.');
    if (dot <= 0 || !this.router.wants(vt.slice(0, dot), vt.slice(dot + 1))) return;
    this.states.set(vt, state);
    if (previous === null && state === 'ok') return;
    this.emitEvent<'instrument_state'>({ type: 'instrument_state', instrument: vt, state, previous, reason, from });
  }

  /** The hub's latest state of these instruments (all without a list), straight from the snapshot service. */
  async snapshot(instruments?: readonly string[]): Promise<SnapshotData> {
    if (this.snap === null) throw new ClientError('MDH_ERR_CLIENT_SNAPSHOT_UNAVAILABLE');
    return this.snap.last(instruments);
  }

  /** Reference data of every instrument the hub knows (name, multiplier, tick, expiry …). */
  async instruments(): Promise<InstrumentInfo[]> {
    if (this.snap === null) throw new ClientError('MDH_ERR_CLIENT_SNAPSHOT_UNAVAILABLE');
    return this.snap.instruments();
  }

  /** Closes the sockets; every iteration ends. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watchdog);
    if (this.recoveryTimer) clearTimeout(this.recoveryTimer);
    this.detachSignal?.();
    for (const s of [...this.subs]) this.closeSubscription(s);
    this.emitter.emit('close');
    for (const w of this.caughtUpWaiters) w.resolve(false);
    this.caughtUpWaiters = [];
    this.snap?.close();
    this.sock.close();
    this.resume();
    await this.loop.catch(() => {});
  }

  /** @internal */
  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal Listens for every event and for the close (the event iterator). */
  listen(listener: (e: ClientEvent) => void, onClose: () => void): () => void {
    this.emitter.on('event', listener);
    this.emitter.on('close', onClose);
    return () => {
      this.emitter.off('event', listener);
      this.emitter.off('close', onClose);
    };
  }
}

/** The client's events as an async iterator (bounded; the oldest dropped beyond maxQueue). */
class EventStream implements AsyncIterableIterator<ClientEvent> {
  private readonly queue: ClientEvent[] = [];
  private waiter: ((r: IteratorResult<ClientEvent>) => void) | null = null;
  private done = false;
  private readonly detach: () => void;
  private readonly detachSignal: (() => void) | null = null;
  private readonly max: number;
  /** Events dropped because the consumer was behind. */
  dropped = 0;

  constructor(client: MdhubClient, opts: EventsOptions) {
    this.max = opts.maxQueue ?? 10_000;
    const types = opts.types ? new Set<string>(opts.types) : null;
    this.detach = client.listen((e) => {
      if (types !== null && !types.has(e.type)) return;
      const w = this.waiter;
      if (w !== null) {
        this.waiter = null;
        w({ value: e, done: false });
        return;
      }
      this.queue.push(e);
      if (this.queue.length > this.max) {
        this.queue.shift();
        this.dropped++;
      }
    }, () => this.end());
    if (client.isClosed) this.end();
    if (opts.signal) {
      const signal = opts.signal;
      const onAbort = (): void => this.end();
      if (signal.aborted) this.end();
      else {
        signal.addEventListener('abort', onAbort, { once: true });
        this.detachSignal = () => signal.removeEventListener('abort', onAbort);
      }
    }
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    this.detach();
    this.detachSignal?.();
    const w = this.waiter;
    this.waiter = null;
    w?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<ClientEvent>> {
    const e = this.queue.shift();
    if (e !== undefined) return Promise.resolve({ value: e, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((r) => { this.waiter = r; });
  }

  return(): Promise<IteratorResult<ClientEvent>> {
    this.end();
    this.queue.length = 0;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ClientEvent> {
    return this;
  }
}

const TICK_PREFIX_BYTES = Buffer.from(TICK_TOPIC_PREFIX, 'latin1');
const BATCH_PREFIX_BYTES = Buffer.from(BATCH_TOPIC_PREFIX, 'latin1');

/** libzmq's ZMQ_IN_BATCH_SIZE (a draft socket option). */
const ZMQ_IN_BATCH_SIZE = 101;

function startsWithBytes(b: Uint8Array, prefix: Uint8Array): boolean {
  const n = prefix.length;
  if (b.length < n) return false;
  for (let i = 0; i < n; i++) if (b[i] !== prefix[i]) return false;
  return true;
}

/** Creates a client connected to one hub. */
export function connect(options: ClientOptions | string): MdhubClient {
  return new MdhubClient(typeof options === 'string' ? { endpoint: options } : options);
}
