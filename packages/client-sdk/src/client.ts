import { EventEmitter } from 'node:events';
import * as zmq from 'zeromq';
import type { Heartbeat, LogRecord, StatusEvent, Tick } from '@mdhub/protocol';
import {
  HEARTBEAT_TOPIC, LOG_TOPIC, STATUS_TOPIC, TICK_TOPIC_PREFIX, decodeEvent, decodeTick, subscriptionPrefix,
} from '@mdhub/protocol';

export interface ClientOptions {
  /** The hub's PUB endpoint, e.g. `tcp://127.0.0.1:7701`. (A list of hubs arrives with multi-hub failover.) */
  endpoint: string;
  /** Silence (no heartbeat, no tick) after which the hub counts as down: `hub_down` is emitted. */
  staleAfterMs?: number;
  /** ZMQ_RCVHWM of the SUB socket (messages). */
  receiveHighWaterMark?: number;
  /** Reconnect backoff of the SUB socket (libzmq reconnects by itself; subscriptions are re-sent). */
  reconnectIntervalMs?: number;
  reconnectMaxIntervalMs?: number;
}

/** Events a client emits, as a discriminated union usable with `.on()` or `for await`. */
export type ClientEvent =
  | { type: 'heartbeat'; heartbeat: Heartbeat }
  | { type: 'status'; status: StatusEvent }
  | { type: 'log'; log: LogRecord }
  /** The hub restarted (new run_id): seq and iseq restart; subscriptions carry on by themselves. */
  | { type: 'hub_restart'; previousRunId: string; runId: string }
  | { type: 'hub_down'; silentMs: number }
  | { type: 'hub_up'; runId: string }
  /** A gap in a subscribed instrument's iseq (or the hub-wide seq for `*` subscriptions). */
  | { type: 'gap'; instrument: string; expected: number; got: number }
  | { type: 'bad_message'; topic: string; error: string };

type TickHandler = (tick: Tick) => void;

interface Sub {
  prefixes: string[];
  /** The prefixes as bytes, matched against each message's topic frame without making a string of it. */
  prefixBytes: Uint8Array[];
  handler: TickHandler | null;
  queue: Tick[];
  waiter: ((r: IteratorResult<Tick>) => void) | null;
  closed: boolean;
  maxQueue: number;
  dropped: number;
}

/**
 * A subscription: iterate it (`for await (const t of sub)`) or pass a callback to `subscribe`.
 * `close()` ends the iteration cleanly.
 */
export class Subscription implements AsyncIterable<Tick> {
  /** @internal */
  constructor(private readonly client: MdhubClient, /** @internal */ readonly sub: Sub) {}

  /** Ticks dropped because an iterator consumer fell more than `maxQueue` ticks behind. */
  get dropped(): number {
    return this.sub.dropped;
  }

  [Symbol.asyncIterator](): AsyncIterator<Tick> {
    const s = this.sub;
    return {
      next: () => {
        if (s.queue.length > 0) return Promise.resolve({ value: s.queue.shift()!, done: false });
        if (s.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => { s.waiter = resolve; });
      },
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  async close(): Promise<void> {
    await this.client.unsubscribe(this);
  }
}

/**
 * Strategy-side subscriber of an mdhub. One SUB socket; subscriptions by instrument (`rb2601.SHFE`),
 * exchange (`*.SHFE`) or everything (`*`). Heartbeats tell a quiet market from a dead hub; a new run_id
 * means the hub restarted. libzmq reconnects and re-sends subscriptions after every reconnect.
 */
export class MdhubClient extends EventEmitter {
  private readonly sock: zmq.Subscriber;
  private readonly subs = new Set<Sub>();
  private readonly prefixCount = new Map<string, number>();
  /** Last iseq per instrument: exchange → symbol → iseq (decoded strings repeat, so these lookups are cheap). */
  private readonly lastIseq = new Map<string, Map<string, number>>();
  private runId: string | null = null;
  private lastSeen = Date.now();
  private down = false;
  private readonly watchdog: NodeJS.Timeout;
  private closed = false;
  private readonly loop: Promise<void>;
  lastHeartbeat: Heartbeat | null = null;

  constructor(readonly options: ClientOptions) {
    super();
    this.sock = new zmq.Subscriber({
      receiveHighWaterMark: options.receiveHighWaterMark ?? 1_000_000,
      reconnectInterval: options.reconnectIntervalMs ?? 100,
      reconnectMaxInterval: options.reconnectMaxIntervalMs ?? 2000,
      linger: 0,
    });
    // ZMQ_IN_BATCH_SIZE (a draft option of libzmq, present in zeromq.js's build): read up to 64 KB (about 60
    // ticks) per syscall instead of 8 KB. Without it the default stays.
    try {
      (this.sock as unknown as { setInt32Option(id: number, v: number): void }).setInt32Option(ZMQ_IN_BATCH_SIZE, 65_536);
    } catch { /* libzmq without draft options */ }
    this.sock.connect(options.endpoint);
    this.sock.subscribe(HEARTBEAT_TOPIC);
    const stale = options.staleAfterMs ?? 2000;
    this.watchdog = setInterval(() => {
      const silent = Date.now() - this.lastSeen;
      if (!this.down && silent > stale) {
        this.down = true;
        this.emitEvent({ type: 'hub_down', silentMs: silent });
      }
    }, Math.min(500, stale / 2));
    this.watchdog.unref();
    this.loop = this.receive();
  }

  /** The current hub run id (null before the first heartbeat or tick). */
  get hubRunId(): string | null {
    return this.runId;
  }

  /** Subscribes to instruments or patterns. With a handler, ticks go to it; otherwise iterate the result. */
  subscribe(patterns: string | string[], handler?: TickHandler, opts: { maxQueue?: number } = {}): Subscription {
    const list = Array.isArray(patterns) ? patterns : [patterns];
    const prefixes = list.map(subscriptionPrefix);
    const sub: Sub = { prefixes, prefixBytes: prefixes.map((p) => Buffer.from(p, 'utf8')), handler: handler ?? null, queue: [], waiter: null, closed: false, maxQueue: opts.maxQueue ?? 1_000_000, dropped: 0 };
    this.subs.add(sub);
    for (const p of prefixes) {
      const n = this.prefixCount.get(p) ?? 0;
      if (n === 0) this.sock.subscribe(p);
      this.prefixCount.set(p, n + 1);
    }
    return new Subscription(this, sub);
  }

  /** Also receive `status` and `log` events (emitted as 'event'). */
  watchEvents(): void {
    for (const t of [STATUS_TOPIC, LOG_TOPIC]) {
      if ((this.prefixCount.get(t) ?? 0) === 0) this.sock.subscribe(t);
      this.prefixCount.set(t, (this.prefixCount.get(t) ?? 0) + 1);
    }
  }

  /** @internal */
  async unsubscribe(s: Subscription): Promise<void> {
    const sub = s.sub;
    if (sub.closed) return;
    sub.closed = true;
    this.subs.delete(sub);
    for (const p of sub.prefixes) {
      const n = (this.prefixCount.get(p) ?? 1) - 1;
      this.prefixCount.set(p, n);
      if (n === 0 && !this.closed) this.sock.unsubscribe(p);
    }
    if (sub.waiter) {
      sub.waiter({ value: undefined, done: true });
      sub.waiter = null;
    }
  }

  private emitEvent(ev: ClientEvent): void {
    this.emit('event', ev);
    this.emit(ev.type, ev);
  }

  private seen(runId: string): void {
    this.lastSeen = Date.now();
    if (this.runId !== runId) {
      const prev = this.runId;
      this.runId = runId;
      this.lastIseq.clear();
      if (prev !== null) this.emitEvent({ type: 'hub_restart', previousRunId: prev, runId });
    }
    if (this.down) {
      this.down = false;
      this.emitEvent({ type: 'hub_up', runId });
    }
  }

  private async receive(): Promise<void> {
    try {
      for await (const [topicBuf, payload] of this.sock) {
        if (this.closed) break;
        const tb = topicBuf!;
        // Ticks are nearly every message: recognised by their first bytes, no topic string made.
        if (startsWithBytes(tb, TICK_PREFIX_BYTES)) {
          try {
            this.onTick(tb, payload!);
          } catch (err) {
            this.emitEvent({ type: 'bad_message', topic: tb.toString('latin1'), error: String(err) });
          }
          continue;
        }
        const topic = tb.toString('latin1');
        try {
          if (topic === HEARTBEAT_TOPIC) {
            const hb = decodeEvent<Heartbeat>(payload!);
            this.lastHeartbeat = hb;
            this.seen(hb.run_id);
            this.emitEvent({ type: 'heartbeat', heartbeat: hb });
          } else if (topic === STATUS_TOPIC) this.emitEvent({ type: 'status', status: decodeEvent<StatusEvent>(payload!) });
          else if (topic === LOG_TOPIC) this.emitEvent({ type: 'log', log: decodeEvent<LogRecord>(payload!) });
        } catch (err) {
          this.emitEvent({ type: 'bad_message', topic, error: String(err) });
        }
      }
    } catch (err) {
      if (!this.closed) this.emit('error', err);
    }
  }

  private onTick(topic: Uint8Array, payload: Buffer): void {
    const tick = decodeTick(payload);
    this.seen(tick.run_id);
    let bySymbol = this.lastIseq.get(tick.exchange);
    if (bySymbol === undefined) this.lastIseq.set(tick.exchange, (bySymbol = new Map()));
    const prev = bySymbol.get(tick.symbol);
    if (prev !== undefined && tick.iseq !== prev + 1 && tick.iseq > prev) {
      this.emitEvent({ type: 'gap', instrument: `${tick.symbol}.${tick.exchange}`, expected: prev + 1, got: tick.iseq });
    }
    bySymbol.set(tick.symbol, tick.iseq);
    for (const s of this.subs) {
      let match = false;
      for (const p of s.prefixBytes) if (startsWithBytes(topic, p)) { match = true; break; }
      if (!match) continue;
      if (s.handler) {
        s.handler(tick);
      } else if (s.waiter) {
        const w = s.waiter;
        s.waiter = null;
        w({ value: tick, done: false });
      } else if (s.queue.length < s.maxQueue) {
        s.queue.push(tick);
      } else {
        s.dropped++;
      }
    }
  }

  /** Closes the socket; every iterator ends. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.watchdog);
    for (const s of [...this.subs]) {
      s.closed = true;
      s.waiter?.({ value: undefined, done: true });
    }
    this.subs.clear();
    this.sock.close();
    await this.loop.catch(() => {});
  }
}

const TICK_PREFIX_BYTES = Buffer.from(TICK_TOPIC_PREFIX, 'latin1');

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
