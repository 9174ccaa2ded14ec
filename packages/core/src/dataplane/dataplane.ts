import v8 from 'node:v8';
import * as zmq from 'zeromq';
import type { Exchange, Heartbeat, HubState, LogRecord, MarketTick, StatusEvent, Tick } from '@mdhub/protocol';
import {
  BATCH_FEATURE, BatchDecoder, BatchView, EXCHANGES, HEARTBEAT_TOPIC, LOG_TOPIC, STATUS_TOPIC, StringInterner, TickEncoder, WIRE_VERSION, decodeEvent, encodeEvent, encodeFloatMap,
} from '@mdhub/protocol';
import type { CleansingStats } from '../cleansing/index.js';
import type { Clock } from '../market/types.js';
import type { GroupConfig, InstrumentState, SourceCounters, Takeover } from './arbiter.js';
import { Arbiter } from './arbiter.js';
import type { CanaryGroup, CanaryView, PublishLatency, SourceQuality, WatchReport } from './watch.js';
import { LatencyWindow, SourceWatch, StageLatency } from './watch.js';
import type { LatencyStage, StageHistogram } from './watch.js';
import { threadLoopLag } from './loop-lag.js';
import type { LoopLag } from './loop-lag.js';
import { BatchStream } from './batch-stream.js';
import { marketCalendar } from '../market/calendar.js';
import { productOfSymbol } from '../market/products.js';
import type { TradingCalendar } from '../market/calendar.js';
import { LINK_HWM } from '../gateway/link.js';
import { Publisher } from './publisher.js';

/** Result of cleansing one copy (see @mdhub/core's cleansing pipeline). */
export type CheckResult = { ok: true } | { ok: false; rule: string; reason: string };
/** `slot`: a per-instrument object the check may keep its own handle in (skips its lookups). */
export type TickCheck = (tick: MarketTick, source: string, slot?: { rec?: unknown }) => CheckResult;
/** `source` delivered `tick`, an accepted state, at `localtime` (a race duplicate recognised unbuilt; see Arbiter.duplicateOfLast). */
export type TickObserve = (tick: MarketTick, source: string, localtime: number, slot?: { rec?: unknown }) => void;
/** Creates the check's record of an instrument before its first tick, in `slot`. */
export type TickPrepare = (symbol: string, exchange: Exchange, slot: { rec?: unknown }, source?: string) => void;

export interface DataPlaneOptions {
  hubId: string;
  runId: string;
  clock: Clock;
  pubEndpoint: string;
  snapshotEndpoint: string;
  /** How gateway links are bound: abstract ipc (`ipc://@mdhub-<hub>-<gateway>`) or tcp loopback. */
  linkTransport: 'ipc' | 'tcp';
  groups: GroupConfig[];
  sendHighWaterMark?: number;
  /** The idle poll of the PUB socket's new subscriptions, ms (default 100; a test sets it long). See PublisherOptions. */
  subscriptionPollMs?: number;
  /** Heartbeat period, ms (≤ 500). */
  heartbeatMs?: number;
  /** When the hub run started (epoch ms), for the heartbeat's `started_at` (default: when the data plane was made). */
  startedAt?: number;
  check?: TickCheck;
  /** With `check`: keeps a source's cleansing state moving on race duplicates that skip the check. */
  observe?: TickObserve;
  /** Counters of the cleansing pipeline (rejections per rule × source × group). */
  cleansingStats?: () => CleansingStats;
  /** Drops a source's cleansing state (after its process restarted). */
  forgetSource?: (source: string) => void;
  /** With `check`: creates an instrument's cleansing record before its first tick. */
  prepare?: TickPrepare;
  /** Reference data served by the snapshot service's `instruments` request. */
  instruments?: () => unknown[];
  onStatus?: (ev: StatusEvent) => void;
  onLog?: (rec: LogRecord) => void;
  /** Canary products per group (see SourceWatch). */
  canaries?: CanaryGroup[];
  /**
   * The watch report for the health monitor, every `watchMs` (50 ms) when a source crossed `lagMs`
   * behind a canary either way, and at least every `reportMs` (1 s).
   */
  onWatch?: (r: WatchReport) => void;
  watch?: { lagMs: number; watchMs?: number; reportMs?: number };
}

export interface LinkCounters {
  batches: number;
  /** Batches whose handling threw (a bug: counted, and the link goes on). */
  handlerErrors: number;
  badBatches: number;
  badTicks: number;
  wrongRun: number;
  lastBatchSeq: number;
  gaps: number;
}

export interface DataPlaneStats {
  /** The last published tick's seq: every tick published so far, whoever took it. */
  seq: number;
  instruments: number;
  /** Messages handed to the PUB socket (per-tick messages someone subscribes to, batches, events). */
  published: number;
  publishDropped: number;
  sources: Record<string, SourceCounters & LinkCounters & { healthy: boolean }>;
  rejections: Record<string, Record<string, number>>;
  cleansing: CleansingStats | null;
  /** V8 heap in use by the data-plane thread's isolate, bytes. */
  heapUsed: number;
  /** Snapshot-service requests refused as malformed. */
  snapshotBadRequests: number;
  /** Each source's quality over the last minute (lag behind the winner, win share, clock offset). */
  quality: Record<string, SourceQuality>;
  canaries: CanaryView[];
  /** Priority groups' takeovers and the states they replaced (`states_replaced` events). */
  takeovers: number;
  statesReplaced: number;
  /** Instruments per data state, and how many times a state changed (`instrument_state` events). */
  instrumentStates: { ok: number; stale: number; suspect: number };
  instrumentStateChanges: number;
  /** The PUB socket's per-subscriber high-water mark. */
  /** The PUB socket's subscriptions: prefixes held now, and tick messages left unsent because nobody held a prefix of their topic. */
  subscribers: { highWaterMark: number; prefixes: number; unsubscribedTicks: number };
  /** Gateway receive → hub publish over the last minute (percentiles are bucket upper bounds). */
  latency: PublishLatency;
  /** Per-stage latency histograms since the hub started (`/metrics`). */
  stages: Record<LatencyStage, StageHistogram>;
  /** The data-plane thread's event-loop lag (last 10 s window; null before the first). */
  loopLag: LoopLag | null;
}

/** A msgpack map of `fields` plus one key holding an array of already-encoded msgpack values. */
function encodeMapWithRawArray(fields: Record<string, unknown>, key: string, items: Buffer[]): Buffer {
  const entries = Object.entries(fields);
  const parts: Buffer[] = [Buffer.from([0x80 | (entries.length + 1)])];
  for (const [k, v] of entries) {
    const kv = encodeEvent({ [k]: v });
    parts.push(kv.subarray(1)); // drop the one-entry fixmap header
  }
  const kb = encodeEvent({ [key]: null });
  parts.push(kb.subarray(1, kb.length - 1)); // the key alone (drop header and the nil value)
  const head = Buffer.allocUnsafe(5);
  head[0] = 0xdd;
  head.writeUInt32BE(items.length, 1);
  parts.push(head, ...items);
  return Buffer.concat(parts);
}

/** The cleansing stage as the data plane calls it. */
export interface CleansingHooks {
  check: TickCheck;
  observe?: TickObserve;
  stats?: () => CleansingStats;
  forgetSource?: (source: string) => void;
  prepare?: TickPrepare;
}

/** Largest snapshot-service request, bytes (a `last` request naming 10,000 instruments fits). */
export const SNAPSHOT_MAX_REQUEST = 256 * 1024;
/** Most instruments one `last` request may name. */
export const SNAPSHOT_MAX_NAMES = 10_000;

/** Most instruments the data plane holds before their first tick from gateways' reported lists (seen ticks are not limited). */
export const MAX_PREPARED_INSTRUMENTS = 200_000;

/** A socket of the data plane could not be bound: names the setting and the value. */
export class BindError extends Error {
  readonly code: string;
  constructor(readonly setting: 'pub' | 'snapshot', readonly value: string, cause: unknown) {
    super(`${setting} ${value}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
    const c = (cause as { code?: unknown })?.code;
    this.code = typeof c === 'string' ? c : /in use/i.test(String((cause as Error)?.message)) ? 'EADDRINUSE' : 'EBIND';
  }
}

const EMPTY_CLEANSING_STATS: CleansingStats = { checked: 0, accepted: 0, rejected: 0, byRule: {}, bySource: {}, rejections: [], filterErrors: [] };

/** Sums two cleansing counters (a replaced stage's and the current one's). `disabled` flags come from `b` when `bCurrent`. */
export function mergeCleansingStats(a: CleansingStats | null, b: CleansingStats, bCurrent = true): CleansingStats {
  if (!a) return b;
  const byRule: Record<string, number> = { ...a.byRule };
  for (const [k, v] of Object.entries(b.byRule)) byRule[k] = (byRule[k] ?? 0) + v;
  const bySource: Record<string, { checked: number; rejected: number }> = {};
  for (const src of [a.bySource, b.bySource]) {
    for (const [k, v] of Object.entries(src)) {
      const x = (bySource[k] ??= { checked: 0, rejected: 0 });
      x.checked += v.checked;
      x.rejected += v.rejected;
    }
  }
  const rej = new Map<string, { rule: string; source: string; group: string; count: number }>();
  for (const r of [...a.rejections, ...b.rejections]) {
    const k = `${r.rule}\u0000${r.source}\u0000${r.group}`;
    const x = rej.get(k);
    if (x) x.count += r.count;
    else rej.set(k, { ...r });
  }
  const fe = new Map<string, { filter: string; source: string; count: number; disabled: boolean }>();
  for (const [list, current] of [[a.filterErrors, false], [b.filterErrors, bCurrent]] as const) {
    for (const r of list) {
      const k = `${r.filter}\u0000${r.source}`;
      const x = fe.get(k) ?? { filter: r.filter, source: r.source, count: 0, disabled: false };
      x.count += r.count;
      if (current) x.disabled = r.disabled;
      fe.set(k, x);
    }
  }
  return {
    checked: a.checked + b.checked, accepted: a.accepted + b.accepted, rejected: a.rejected + b.rejected, byRule, bySource,
    rejections: [...rej.values()], filterErrors: [...fe.values()],
  };
}

/** Copies in a row rejected by cleansing (none accepted) after which an instrument is `suspect`. */
export const SUSPECT_AFTER = 3;

/** Longest the link receive loops keep the event loop to themselves while links have a backlog, ms. */
const YIELD_MS = 5;

const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;

const nowUs = (): number => Math.round((performance.timeOrigin + performance.now()) * 1000);
/** Epoch µs minus CLOCK_MONOTONIC µs in this process: turns a gateway's hrtime stamp into epoch µs. */
const epochMinusMonoUs = (performance.timeOrigin + performance.now()) * 1000 - Number(process.hrtime.bigint()) / 1000;

/**
 * The data plane: gateway links in, cleanse, arbitrate, publish, heartbeat and snapshot service. It runs in
 * its own worker thread in the hub (see worker.ts) and can run in-process for tests and benchmarks.
 */
export class DataPlane {
  readonly arbiter: Arbiter;
  private readonly pub: Publisher;
  private readonly router: zmq.Router;
  private readonly links = new Map<string, { sock: zmq.Pull; endpoint: string; counters: LinkCounters; decoder: BatchDecoder }>();
  /** One string object per instrument, exchange, … across every link (cheap map lookups downstream). */
  private readonly interner = new StringInterner();
  /** Decoders of links fed through {@link handleBatch} directly (tests, benchmarks). */
  private readonly directDecoders = new Map<string, BatchDecoder>();
  /** Per source: instrument state by the link's symbol id (verified on use; see BatchView.symbolId). */
  private readonly byLinkId = new Map<string, Array<InstrumentState | undefined>>();
  private readonly encoder = new TickEncoder();
  private readonly rejections = new Map<string, Map<string, number>>();
  private seq = 0;
  /** Time the receive loops spent handling batches since the event loop last had a turn, ms (see receive). */
  private busyMs = 0;
  private heartbeat: NodeJS.Timeout | null = null;
  private closed = false;
  endpoints = { pub: '', snapshot: '' };
  /** The cleansing stage in use (replaced live by {@link setCleansing}). */
  private cleansing: CleansingHooks | null;
  /** Counters of cleansing stages replaced while running, so /metrics counters never go back. */
  private retiredCleansing: CleansingStats | null = null;

  readonly watch = new SourceWatch();
  /** Gateway receive → publish, the last minute (the dashboard's overview, `/metrics`). */
  private readonly latency = new LatencyWindow();
  private readonly stages = new StageLatency();
  private readonly loopLag = threadLoopLag();
  /** The batch stream (wire v1.1): each exchange's ticks of one publish turn as one message. */
  private readonly batches: BatchStream;
  private readonly calendar: TradingCalendar = marketCalendar();
  private watchTimer: NodeJS.Timeout | null = null;
  private takeovers = 0;
  private statesReplaced = 0;

  constructor(private readonly opts: DataPlaneOptions) {
    this.cleansing = opts.check ? { check: opts.check, ...(opts.observe ? { observe: opts.observe } : {}), ...(opts.cleansingStats ? { stats: opts.cleansingStats } : {}), ...(opts.forgetSource ? { forgetSource: opts.forgetSource } : {}), ...(opts.prepare ? { prepare: opts.prepare } : {}) } : null;
    this.arbiter = new Arbiter({
      groups: opts.groups,
      onEvent: (ev) => this.status(ev),
    });
    this.pub = new Publisher({ endpoint: opts.pubEndpoint, sendHighWaterMark: opts.sendHighWaterMark ?? 100_000, ...(opts.subscriptionPollMs !== undefined ? { subscriptionPollMs: opts.subscriptionPollMs } : {}) });
    this.pub.onDrop = (err) => this.overloaded(err);
    this.batches = new BatchStream(opts.runId, (topic, payload) => this.pub.send(topic, payload), this.pub, this.encoder);
    // A request is a small map: anything larger is refused by libzmq before it is read (the peer is
    // disconnected), so no request can hold memory.
    this.router = new zmq.Router({ linger: 0, maxMessageSize: SNAPSHOT_MAX_REQUEST });
  }

  async start(): Promise<{ pub: string; snapshot: string }> {
    try {
      this.endpoints.pub = await this.pub.bind();
    } catch (err) {
      throw new BindError('pub', this.opts.pubEndpoint, err);
    }
    try {
      await this.router.bind(this.opts.snapshotEndpoint);
    } catch (err) {
      throw new BindError('snapshot', this.opts.snapshotEndpoint, err);
    }
    this.endpoints.snapshot = this.router.lastEndpoint ?? this.opts.snapshotEndpoint;
    void this.serveSnapshots();
    const period = Math.min(500, this.opts.heartbeatMs ?? 250);
    this.heartbeat = setInterval(() => this.sendHeartbeat(), period);
    this.sendHeartbeat();
    this.watch.configure(this.opts.canaries ?? [], []);
    this.startWatch();
    return this.endpoints;
  }

  /** Every watchMs: resolve canaries, and report to the health monitor on a change of side (or every reportMs). */
  private startWatch(): void {
    const w = this.opts.watch;
    if (!this.opts.onWatch || !w) return;
    const onWatch = this.opts.onWatch;
    let lastReport = 0;
    let behind = new Set<string>();
    let resolvedAt = -Infinity;
    this.watchTimer = setInterval(() => {
      const mono = performance.now();
      if (mono - resolvedAt >= 1000) {
        resolvedAt = mono;
        this.checkStale();
        for (const t of this.watch.resolve(this.arbiter.states())) this.status({ kind: 'canary_resolved', group: t.group, product: t.product, instrument: t.st?.vt ?? null, trading_day: t.day });
      }
      const r = this.watch.report(this.arbiter.counters.keys(), (id) => this.arbiter.groupsOf(id), mono);
      const now = new Set(Object.entries(r.sources).filter(([, s]) => s.behind_ms > w.lagMs).map(([id]) => id));
      const changed = now.size !== behind.size || [...now].some((id) => !behind.has(id));
      behind = now;
      if (changed || mono - lastReport >= (w.reportMs ?? 1000)) {
        lastReport = mono;
        r.quality = this.watch.qualities(mono);
        onWatch(r);
      }
    }, w.watchMs ?? 50);
  }

  /** A source's process (re)started: its data health is judged afresh (see SourceWatch.forgetSource). */
  sourceStarted(id: string): void {
    this.watch.forgetSource(id);
  }

  /** New canary products (a configuration change): resolved afresh. */
  setCanaries(groups: CanaryGroup[]): void {
    this.watch.configure(groups, this.arbiter.states());
  }

  /** Binds the data link of one gateway and returns the endpoint the gateway process connects to. */
  async addGateway(id: string): Promise<string> {
    const existing = this.links.get(id);
    if (existing) return existing.endpoint;
    this.arbiter.addSource(id);
    // Bounded: when the data plane falls behind, batches wait in the gateway's PUSH queue and then in the
    // gateway process (which merges them into larger batches), not in the core's memory.
    const sock = new zmq.Pull({ linger: 0, receiveHighWaterMark: LINK_HWM });
    const want = this.opts.linkTransport === 'ipc'
      ? `ipc://@mdhub-${this.opts.hubId}-${this.opts.runId.slice(0, 8)}-${id}`
      : 'tcp://127.0.0.1:*';
    await sock.bind(want);
    const endpoint = sock.lastEndpoint ?? want;
    const counters: LinkCounters = { batches: 0, handlerErrors: 0, badBatches: 0, badTicks: 0, wrongRun: 0, lastBatchSeq: 0, gaps: 0 };
    const decoder = new BatchDecoder(this.interner);
    this.links.set(id, { sock, endpoint, counters, decoder });
    void this.receive(id, sock, counters, decoder);
    return endpoint;
  }

  setHealth(id: string, healthy: boolean): void {
    // A source that comes back (new process, reconnect) starts its cleansing history afresh.
    if (healthy && !this.arbiter.isHealthy(id)) this.cleansing?.forgetSource?.(id);
    this.publishTakeovers(this.arbiter.setHealth(id, healthy));
    this.checkStale();
  }

  /** Replaces the instrument groups while ticks flow (live reconfiguration; see Arbiter.setGroups). */
  setGroups(groups: GroupConfig[]): void {
    this.publishTakeovers(this.arbiter.setGroups(groups));
    this.status({ kind: 'groups_applied', groups: this.arbiter.groupInfo() });
  }

  /**
   * Replaces the cleansing stage while ticks flow (a new configuration or filter set). The new stage
   * judges each source afresh; the old stage's counters are kept so counters never go back.
   */
  setCleansing(next: CleansingHooks | null): void {
    const old = this.cleansing?.stats?.();
    if (old) this.retiredCleansing = mergeCleansingStats(this.retiredCleansing, old);
    this.cleansing = next;
    for (const st of this.arbiter.states()) st.checkSlot.rec = undefined; // slots held the old stage's records
  }

  /**
   * Creates the arbitration and cleansing state of instruments before their first tick (the list a
   * gateway reported; with `source`, that source's cleansing state too). Entries that are not
   * `{symbol, exchange}` of a known exchange are skipped and counted. Returns how many were new.
   */
  prepareInstruments(list: ReadonlyArray<{ symbol?: unknown; exchange?: unknown }>, source?: string): { created: number; skipped: number } {
    let created = 0;
    let skipped = 0;
    const prepare = this.cleansing?.prepare;
    for (const r of list) {
      if (typeof r?.symbol !== 'string' || r.symbol === '' || r.symbol.length > 80 || !(EXCHANGES as readonly unknown[]).includes(r.exchange)) {
        skipped++;
        continue;
      }
      const before = this.arbiter.size;
      // Reported lists create state; a plugin reporting garbage must not grow the data plane without bound.
      if (before >= MAX_PREPARED_INSTRUMENTS && this.arbiter.peek(r.symbol, r.exchange as Exchange) === undefined) {
        skipped++;
        continue;
      }
      const st = this.arbiter.instrument({ symbol: r.symbol, exchange: r.exchange as Exchange });
      if (this.arbiter.size !== before) created++;
      prepare?.(st.symbol, st.exchange as Exchange, st.checkSlot, source);
    }
    return { created, skipped };
  }

  /**
   * A priority group's new feeder: its latest state of each instrument, newer than what was published,
   * goes out as if it had just won. Those states stand in for states subscribers never received (`iseq`
   * stays contiguous), so the instruments are announced in `states_replaced` events (at most 1,000
   * vt_symbols each): clients treat them as a gap.
   */
  private publishTakeovers(takeovers: Takeover[]): void {
    if (takeovers.length === 0) return;
    // Called outside the receive loop: subscriptions still waiting to be read cannot be awaited here, so
    // this turn builds and sends every topic (libzmq still delivers only what someone holds).
    if (this.pub.subscriptionsWaiting) {
      this.wantAll = true;
      void this.pub.readSubscriptions();
    }
    try {
      this.publishTakeoverStates(takeovers);
    } finally {
      this.wantAll = false;
    }
  }

  /** While true, publishTick builds and sends every topic (subscriptions not yet read; see publishTakeovers). */
  private wantAll = false;

  private publishTakeoverStates(takeovers: Takeover[]): void {
    const replaced = new Map<string, { group: string; from: string | null; to: string; instruments: string[] }>();
    for (const { state, tick, from } of takeovers) {
      if (this.arbiter.offer(state, tick, tick.gateway_name, this.opts.clock.now(), performance.now()) === 'win') {
        (tick as Tick).gw_recv_ts ??= nowUs();
        this.publishTick(state, tick, nowUs());
        const group = state.group.cfg.name;
        const k = `${group}\u0000${from ?? ''}\u0000${tick.gateway_name}`;
        let r = replaced.get(k);
        if (!r) replaced.set(k, (r = { group, from, to: tick.gateway_name, instruments: [] }));
        r.instruments.push(state.vt);
      }
    }
    this.batches.flush();
    for (const r of replaced.values()) {
      this.takeovers++;
      this.statesReplaced += r.instruments.length;
      for (let i = 0; i < r.instruments.length; i += 1000) {
        this.status({ kind: 'states_replaced', group: r.group, from: r.from, to: r.to, instruments: r.instruments.slice(i, i + 1000), count: r.instruments.length });
      }
    }
  }

  private async receive(id: string, sock: zmq.Pull, counters: LinkCounters, decoder: BatchDecoder): Promise<void> {
    try {
      for await (const [msg] of sock) {
        if (this.closed) break;
        // New subscriptions first: what a subscriber asked for before this message is sent to it.
        if (this.pub.subscriptionsWaiting) {
          await this.pub.readSubscriptions();
          if (this.closed) break;
        }
        const t0 = performance.now();
        try {
          this.handleBatch(id, msg!, counters, decoder);
        } catch (err) {
          // Never let one batch end a link: counted, logged at powers of two, the next batch is handled.
          counters.handlerErrors++;
          if (isPowerOfTwo(counters.handlerErrors)) this.log('error', 'a gateway batch could not be handled', { gateway: id, count: counters.handlerErrors, error: String(err) });
        }
        // While a link has messages queued, zeromq.js hands them over without leaving the microtask queue:
        // timers (the heartbeat), the control plane's requests and the snapshot service would wait until the
        // backlog is gone. After YIELD_MS of work (idle time does not count), the event loop gets a turn.
        this.busyMs += performance.now() - t0;
        if (this.busyMs >= YIELD_MS) {
          await new Promise<void>((r) => setImmediate(r));
          this.busyMs = 0;
        }
      }
    } catch (err) {
      if (!this.closed) this.log('error', 'gateway link receive failed', { gateway: id, error: String(err) });
    }
  }

  /** Processes one gateway batch: decode, cleanse, arbitrate, publish. */
  handleBatch(id: string, msg: Uint8Array, counters: LinkCounters, decoder?: BatchDecoder): void {
    try {
      this.handleLinkMessage(id, msg, counters, decoder);
    } finally {
      this.batches.flush(); // the batch stream: this turn's ticks, one message per exchange
    }
  }

  private handleLinkMessage(id: string, msg: Uint8Array, counters: LinkCounters, decoder?: BatchDecoder): void {
    const recvUs = nowUs();
    let dec = decoder ?? this.directDecoders.get(id);
    if (!dec) this.directDecoders.set(id, (dec = new BatchDecoder(this.interner)));
    let batch: BatchView;
    try {
      batch = dec.open(msg, this.opts.runId);
    } catch (err) {
      counters.badBatches++;
      // Counted exactly; logged at counts 1, 2, 4, 8, … so a flood of garbage cannot swamp the log.
      if (isPowerOfTwo(counters.badBatches)) {
        this.log('warn', 'bad batch on gateway link', { gateway: id, code: 'MDH_ERR_LINK_BAD_BATCH', count: counters.badBatches, error: String(err) });
      }
      return;
    }
    if (batch.runId !== this.opts.runId) {
      counters.wrongRun++;
      if (isPowerOfTwo(counters.wrongRun)) {
        this.log('warn', 'batch of another hub run on a gateway link', { gateway: id, code: 'MDH_ERR_LINK_WRONG_RUN', count: counters.wrongRun });
      }
      return;
    }
    counters.batches++;
    if (counters.lastBatchSeq !== 0 && batch.batchSeq !== counters.lastBatchSeq + 1 && batch.batchSeq > counters.lastBatchSeq) counters.gaps++;
    counters.lastBatchSeq = batch.batchSeq;
    const marketNow = this.opts.clock.now();
    const mono = performance.now();
    const gwUs = Math.round(batch.sentNs / 1000 + epochMinusMonoUs);
    const check = this.cleansing?.check;
    const observe = check ? this.cleansing?.observe : undefined;
    const arbiter = this.arbiter;
    let cache = this.byLinkId.get(id);
    if (!cache) this.byLinkId.set(id, (cache = []));
    let bad: Array<{ index: number; reason: string }> | null = null;
    const watch = this.watch;
    const latest = marketNow + arbiter.skew;
    watch.data(id, mono);
    const quality = watch.slot(id, mono);
    const covered = watch.exchanges(id);
    let lastExchange = '';
    for (let k = 0; k < batch.n; k++) {
      const problem = batch.problem(k);
      if (problem !== null) {
        (bad ??= []).push({ index: k, reason: problem });
        continue;
      }
      const sid = batch.symbolId(k);
      let st = cache[sid];
      if (st === undefined || st.symbol !== batch.symbol(k) || st.exchange !== batch.exchange(k)) {
        const t = batch.tick(k);
        cache[sid] = st = arbiter.instrument(t);
      }
      if (st.exchange !== lastExchange) {
        lastExchange = st.exchange;
        covered.add(lastExchange);
      }
      // A race duplicate of the newest published state (the commonest copy): counted, never built.
      // With cleansing on, the source's cleansing state moves on as if it had accepted its copy.
      if (st.last !== null && batch.datetime(k) === st.wmDt && (check === undefined || observe !== undefined) &&
          arbiter.duplicateOfLast(st, id, st.wmDt, batch.volume(k), batch.stateKey(k), marketNow)) {
        const localtime = batch.localtime(k);
        if (observe) observe(st.last, id, localtime, st.checkSlot);
        if (st.rejectRun !== 0) this.accepted(st);
        SourceWatch.count(quality, false, mono - st.lastWinMono, localtime > 0 ? localtime - st.wmDt : null);
        if (st.canary !== null) watch.copy(st.canary, id, st.wmDt, st.wmVol, mono);
        continue;
      }
      const t = batch.tick(k);
      if (check) {
        const r = check(t, id, st.checkSlot);
        if (!r.ok) {
          arbiter.countRejected(id);
          this.countRejection(id, r.rule);
          st.rejectedBy = id;
          if (++st.rejectRun === SUSPECT_AFTER && st.dataState === 'ok') this.setDataState(st, 'suspect', `${SUSPECT_AFTER} copies in a row rejected by cleansing (${r.rule}), none accepted`);
          continue;
        }
        if (st.rejectRun !== 0) this.accepted(st);
      }
      if (st.canary !== null && t.datetime <= latest) watch.copy(st.canary, id, t.datetime, t.volume, mono);
      const lagFrom = st.lastWinMono;
      const verdict = arbiter.offer(st, t, id, marketNow, mono);
      if (verdict === 'win') {
        (t as Tick).gw_recv_ts = gwUs;
        this.publishTick(st, t, recvUs);
        SourceWatch.count(quality, true, 0, t.localtime > 0 ? t.localtime - t.datetime : null);
      } else if (verdict === 'duplicate' || ((verdict === 'unhealthy' || verdict === 'standby') && t.datetime === st.wmDt && t.volume === st.wmVol)) {
        // Out of the race or on standby, a source's copy of the published state still says how late it is.
        SourceWatch.count(quality, false, mono - lagFrom, t.localtime > 0 ? t.localtime - t.datetime : null);
      }
    }
    if (bad !== null) {
      const before = counters.badTicks;
      counters.badTicks += bad.length;
      if (Math.clz32(before) !== Math.clz32(counters.badTicks) || before === 0) this.log('warn', 'malformed ticks on gateway link', { gateway: id, code: 'MDH_ERR_LINK_BAD_BATCH', bad: bad.slice(0, 5) });
    }
  }

  /** A copy was accepted after rejections: the instrument is no longer suspect. */
  private accepted(st: InstrumentState): void {
    st.rejectRun = 0;
    if (st.dataState === 'suspect') this.setDataState(st, 'ok', 'a copy was accepted');
  }

  private dataStateChanges = 0;

  /** Changes an instrument's data state and says so (`instrument_state`). */
  private setDataState(st: InstrumentState, state: InstrumentState['dataState'], reason: string): void {
    if (st.dataState === state) return;
    st.dataState = state;
    this.dataStateChanges++;
    this.status({ kind: 'instrument_state', vt_symbol: st.vt, state, reason });
  }

  /**
   * Stale instruments: those of a group no healthy source feeds, inside their session (a break or the
   * night is not stale). Checked every second and when a source's health changes.
   */
  private checkStale(): void {
    const now = this.opts.clock.now();
    const fed = new Map<string, boolean>();
    for (const g of this.arbiter.groupInfo()) fed.set(g.name, this.arbiter.hasHealthySource(g.name));
    for (const st of this.arbiter.states()) {
      // An instrument nothing was published of yet holds no book anyone could trust or distrust.
      const stale = st.last !== null && fed.get(st.group.cfg.name) === false && this.inSession(st, now);
      if (stale && st.dataState !== 'stale') this.setDataState(st, 'stale', `no healthy source feeds group ${st.group.cfg.name}`);
      else if (!stale && st.dataState === 'stale') this.setDataState(st, st.rejectRun >= SUSPECT_AFTER ? 'suspect' : 'ok', 'a healthy source feeds it again, or its session ended');
    }
  }

  /** Whether an instrument's product is inside a trading session at market time `now` (its template looked up once). */
  private inSession(st: InstrumentState, now: number): boolean {
    if (st.session === undefined) st.session = productOfSymbol(st.symbol, st.exchange as Exchange)?.session ?? null;
    return st.session !== null && this.calendar.isInSession(st.session, now);
  }

  private publishTick(st: InstrumentState, t: MarketTick, recvUs: number): void {
    const out = t as Tick;
    // last_volume is derived (no exchange sends it): what traded since the states published before, whichever
    // source won each. A source's own figure spans the snapshots *it* saw, which differ between sources after
    // a drop or a reconnect; it stands only for an instrument's first state of a trading day. The highest
    // volume published that day is the reference, so volume published once is never counted again (a state
    // with a lower volume, after a watermark reset, has last_volume 0).
    if (st.pubDay === t.trading_day) {
      out.last_volume = t.volume > st.pubVolume ? t.volume - st.pubVolume : 0;
      if (t.volume > st.pubVolume) st.pubVolume = t.volume;
    } else {
      st.pubDay = t.trading_day;
      st.pubVolume = t.volume;
    }
    out.seq = ++this.seq;
    out.iseq = st.iseq;
    out.source = t.gateway_name;
    out.hub_recv_ts = recvUs;
    const pubUs = nowUs();
    out.hub_pub_ts = pubUs;
    if (out.gw_recv_ts > 0) {
      this.latency.add(pubUs - out.gw_recv_ts, pubUs / 1000);
      this.stages.add(out.gw_recv_ts, recvUs, pubUs);
    }
    out.run_id = this.opts.runId;
    // Built and sent only for someone: the per-tick topic, the exchange's batch, both or neither.
    const pub = this.pub;
    if (st.wantGen !== pub.generation) {
      st.wantGen = pub.generation;
      st.tickWanted = pub.wants(st.topicText);
      st.batchWanted = this.batches.wanted(st.exchange);
    }
    const all = this.wantAll;
    const tickWanted = st.tickWanted || all;
    const batchWanted = st.batchWanted || all;
    if (!tickWanted) pub.unsubscribed++;
    if (!tickWanted && !batchWanted) return;
    if (!batchWanted) pub.send(st.topic, this.encoder.encode(out, st.encodeMemo));
    else {
      const payload = this.batches.add(st.exchange, out, st.encodeMemo, out.seq, pubUs); // encoded once, in its batch
      // Its per-tick message is a copy in the encoder's 16 KB slabs: a queue of a slow subscriber of a few
      // instruments must not hold a 256 KB batch slab per queued tick.
      if (tickWanted) pub.send(st.topic, this.encoder.copy(payload));
    }
  }

  private lastOverloadEvent = 0;

  /** A send into the PUB socket failed: the message is lost. Never silent: counted, and a status event per second. */
  private overloaded(err: unknown): void {
    if (this.closed) return;
    const now = Date.now();
    if (now - this.lastOverloadEvent < 1000) return;
    this.lastOverloadEvent = now;
    this.pub.send(STATUS_TOPIC, encodeEvent({ kind: 'overload', ts: now, hub_id: this.opts.hubId, run_id: this.opts.runId, publish_dropped: this.pub.dropped }));
    this.opts.onLog?.({ level: 'error', ts: now, msg: 'publish failed: ticks dropped', area: 'dataplane', code: 'MDH_ERR_PUBLISH_OVERLOAD', details: { dropped: this.pub.dropped, error: String(err) } });
  }

  private countRejection(source: string, rule: string): void {
    let m = this.rejections.get(source);
    if (!m) this.rejections.set(source, (m = new Map()));
    m.set(rule, (m.get(rule) ?? 0) + 1);
  }

  /** Publishes a status event on the `status` topic and hands it to the control plane. */
  status(ev: { kind: string; [k: string]: unknown }): void {
    const full: StatusEvent = { ...ev, ts: Date.now(), hub_id: this.opts.hubId, run_id: this.opts.runId };
    this.pub.send(STATUS_TOPIC, encodeEvent(full));
    this.opts.onStatus?.(full);
  }

  /** Publishes a log record on the `log` topic (the control plane also writes it to its JSON log). */
  log(level: LogRecord['level'], msg: string, details: Record<string, unknown> = {}): void {
    const rec: LogRecord = { level, ts: Date.now(), msg, area: 'dataplane', details };
    this.publishLog(rec);
    this.opts.onLog?.(rec);
  }

  publishLog(rec: LogRecord): void {
    this.pub.send(LOG_TOPIC, encodeEvent(rec));
  }

  publishStatus(ev: StatusEvent): void {
    this.pub.send(STATUS_TOPIC, encodeEvent(ev));
  }

  /** The hub's state as the heartbeat says it (the control plane sets it: {@link setHubState}). */
  private hubState: HubState = 'starting';
  private readonly startedAt = Date.now();

  setHubState(state: HubState): void {
    if (state === this.hubState) return;
    this.hubState = state;
    this.sendHeartbeat(); // said at once, not at the next beat
  }

  private sendHeartbeat(): void {
    const hb: Heartbeat = {
      hub_id: this.opts.hubId, run_id: this.opts.runId, seq: this.seq, ts: Date.now(),
      market_ts: Math.round(this.opts.clock.now()), simulated: this.opts.clock.simulated, v: WIRE_VERSION,
      started_at: this.opts.startedAt ?? this.startedAt, state: this.hubState, features: [BATCH_FEATURE],
    };
    this.pub.send(HEARTBEAT_TOPIC, encodeEvent(hb));
  }

  /** Snapshot service (ROUTER): `{op:'last', instruments?: string[]}` and `{op:'instruments'}`. */
  private async serveSnapshots(): Promise<void> {
    try {
      for await (const frames of this.router) {
        if (this.closed) break;
        const envelope = frames.slice(0, -1);
        let reply: Buffer = Buffer.alloc(0);
        let req: { op?: unknown; instruments?: unknown; id?: unknown } | null = null;
        try {
          req = decodeEvent<{ op?: unknown; instruments?: unknown; id?: unknown }>(frames[frames.length - 1]!);
        } catch {
          this.snapshotBadRequests++;
          reply = encodeEvent({ ok: false, error: 'MDH_ERR_SNAPSHOT_BAD_REQUEST', message: 'the request is not a msgpack map' });
        }
        if (req) {
          // Subscriptions that reached the PUB socket before this request take effect before the answer.
          await this.pub.readSubscriptions();
          try {
            reply = this.answer(req);
          } catch (err) {
            reply = encodeEvent({ ok: false, error: 'MDH_ERR_SNAPSHOT_BAD_REQUEST', message: String((err as Error)?.message ?? err) });
          }
        }
        await this.router.send([...envelope, reply]);
      }
    } catch (err) {
      if (!this.closed) this.log('error', 'snapshot service failed', { error: String(err) });
    }
  }

  /** Snapshot requests refused as malformed (counted; each answered with MDH_ERR_SNAPSHOT_BAD_REQUEST). */
  private snapshotBadRequests = 0;

  private answer(req: { op?: unknown; instruments?: unknown; id?: unknown }): Buffer {
    // `id` comes back as sent when it is a plain value (a number or a string), never anything larger.
    const id = typeof req.id === 'number' || (typeof req.id === 'string' && req.id.length <= 100) ? { id: req.id } : {};
    const bad = (message: string): Buffer => {
      this.snapshotBadRequests++;
      return encodeEvent({ ok: false, error: 'MDH_ERR_SNAPSHOT_BAD_REQUEST', message, ...id });
    };
    if (req.op === 'instruments') {
      // Reference data: every number a float, as on the tick wire.
      return encodeMapWithRawArray({ ok: true, run_id: this.opts.runId, ...id }, 'instruments', (this.opts.instruments?.() ?? []).map((r) => encodeFloatMap(r as Record<string, unknown>)));
    }
    if (req.op !== 'last') return bad('op must be "last" or "instruments"');
    let want: Set<string> | null = null;
    if (req.instruments !== undefined && req.instruments !== null) {
      if (!Array.isArray(req.instruments) || req.instruments.some((x) => typeof x !== 'string')) return bad('instruments must be a list of vt_symbols, e.g. ["rb2701.SHFE"]');
      if (req.instruments.length > SNAPSHOT_MAX_NAMES) return bad(`at most ${SNAPSHOT_MAX_NAMES} instruments per request`);
      want = new Set(req.instruments as string[]);
    }
    const ticks: Buffer[] = [];
    const states: Record<string, string> = {};
    const found = want ? new Set<string>() : null;
    for (const st of this.arbiter.states()) {
      // st.last is the published Tick (hub metadata included): same typed encoding as on the PUB socket.
      if (st.last && (!want || want.has(st.vt))) {
        ticks.push(this.encoder.encode(st.last as Tick));
        states[st.vt] = st.dataState;
        found?.add(st.vt);
      }
    }
    // Names that have no published state (unknown, or nothing published yet) are listed, not silently left out.
    const unknown = want ? [...want].filter((vt) => !found!.has(vt)) : [];
    // Each returned instrument's data state (ok, stale, suspect): whether its last state can be trusted.
    return encodeMapWithRawArray({ ok: true, run_id: this.opts.runId, seq: this.seq, ...(want ? { unknown } : {}), states, ...id }, 'ticks', ticks);
  }

  /**
   * Instruments whose vt_symbol contains `search` (case-insensitive; all when empty), sorted, at most
   * `limit`: the last published state's essentials, its data state and the source that won it.
   */
  queryInstruments(search: string, limit: number): { total: number; instruments: Array<Record<string, unknown>> } {
    const needle = search.toLowerCase();
    const hits: InstrumentState[] = [];
    for (const st of this.arbiter.states()) if (needle === '' || st.vt.toLowerCase().includes(needle)) hits.push(st);
    hits.sort((a, b) => (a.vt < b.vt ? -1 : a.vt > b.vt ? 1 : 0));
    return {
      total: hits.length,
      instruments: hits.slice(0, limit).map((st) => {
        const t = st.last as Tick | null;
        return {
          vt_symbol: st.vt, group: st.group.cfg.name, state: st.dataState, iseq: st.iseq,
          ...(t ? {
            datetime: t.datetime, trading_day: t.trading_day, last_price: t.last_price, volume: t.volume, open_interest: t.open_interest,
            bid_price_1: t.bid_price_1, bid_volume_1: t.bid_volume_1, ask_price_1: t.ask_price_1, ask_volume_1: t.ask_volume_1, source: t.source ?? t.gateway_name,
          } : { datetime: null, source: null }),
        };
      }),
    };
  }

  stats(): DataPlaneStats {
    const sources: DataPlaneStats['sources'] = {};
    for (const [id, c] of this.arbiter.counters) {
      const link = this.links.get(id)?.counters ?? { batches: 0, handlerErrors: 0, badBatches: 0, badTicks: 0, wrongRun: 0, lastBatchSeq: 0, gaps: 0 };
      sources[id] = { ...c, ...link, healthy: this.arbiter.isHealthy(id) };
    }
    const rejections: DataPlaneStats['rejections'] = {};
    for (const [s, m] of this.rejections) rejections[s] = Object.fromEntries(m);
    return {
      seq: this.seq, instruments: this.arbiter.size, published: this.pub.sent, publishDropped: this.pub.dropped, sources, rejections,
      cleansing: this.cleansingStats(),
      heapUsed: v8.getHeapStatistics().used_heap_size,
      snapshotBadRequests: this.snapshotBadRequests,
      quality: this.watch.qualities(performance.now()),
      canaries: this.watch.canaries(performance.now()),
      takeovers: this.takeovers,
      statesReplaced: this.statesReplaced,
      instrumentStates: this.instrumentStateCounts(),
      instrumentStateChanges: this.dataStateChanges,
      subscribers: { highWaterMark: this.pub.highWaterMark, prefixes: this.pub.subscriptions, unsubscribedTicks: this.pub.unsubscribed },
      latency: this.latency.read(nowUs() / 1000),
      stages: this.stages.read(),
      loopLag: this.loopLag.read(),
    };
  }

  private instrumentStateCounts(): { ok: number; stale: number; suspect: number } {
    const n = { ok: 0, stale: 0, suspect: 0 };
    for (const st of this.arbiter.states()) n[st.dataState]++;
    return n;
  }

  private cleansingStats(): CleansingStats | null {
    const now = this.cleansing?.stats?.() ?? null;
    if (!this.retiredCleansing) return now;
    return mergeCleansingStats(this.retiredCleansing, now ?? EMPTY_CLEANSING_STATS, now !== null);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.closed = true;
    for (const l of this.links.values()) l.sock.close();
    this.router.close();
    this.pub.close();
  }
}
