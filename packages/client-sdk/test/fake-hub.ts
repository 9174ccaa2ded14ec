/**
 * A hub as a subscriber sees it, driven by hand: an XPUB socket (so a test can wait until the client's
 * subscriptions have arrived) and a ROUTER answering the snapshot service's `last`. It keeps `seq` and
 * `iseq` as the hub does, can lose ticks (advance the sequences without sending), send batches
 * (wire v1.1), status events and heartbeats, and restart with a new run id.
 */
import * as zmq from 'zeromq';
import type { Exchange, Tick } from '@mdhub/protocol';
import { BATCH_FEATURE, HEARTBEAT_TOPIC, STATUS_TOPIC, TickEncoder, batchTopic, decodeEvent, emptyMarketTick, encodeEvent, encodeTickBatch, tickTopic } from '@mdhub/protocol';

let runCounter = 0;
const newRunId = (): string => `00000000-0000-4000-8000-${String(++runCounter).padStart(12, '0')}`;

export interface FakeHubOptions {
  /** Announce the batch stream in heartbeats (and send batches at `flush()`). */
  batch?: boolean;
  /** Heartbeat period, ms (0: only by hand). */
  heartbeatMs?: number;
}

export class FakeHub {
  readonly pub: zmq.XPublisher;
  readonly router: zmq.Router;
  runId = newRunId();
  seq = 0;
  readonly iseq = new Map<string, number>();
  readonly last = new Map<string, Tick>();
  /** Topics the client is subscribed to now. */
  readonly subscriptions = new Set<string>();
  /** Every subscribe/unsubscribe as it came (`+topic`, `-topic`). */
  readonly subscriptionLog: string[] = [];
  /** Snapshot requests received. */
  readonly requests: Array<Record<string, unknown>> = [];
  /** Answer snapshot requests (false: let them time out). */
  answerSnapshots = true;
  /** Delay before answering, ms. */
  snapshotDelayMs = 0;
  batch: boolean;
  private readonly enc = new TickEncoder();
  private pendingBatches = new Map<string, { items: Uint8Array[]; first: number; last: number }>();
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private volume = new Map<string, number>();

  private constructor(opts: FakeHubOptions) {
    this.batch = opts.batch ?? false;
    this.pub = new zmq.XPublisher({ linger: 0, sendTimeout: 0 });
    this.router = new zmq.Router({ linger: 0 });
  }

  static async start(opts: FakeHubOptions = {}): Promise<FakeHub> {
    const h = new FakeHub(opts);
    await h.pub.bind('tcp://127.0.0.1:*');
    await h.router.bind('tcp://127.0.0.1:*');
    void h.watchSubscriptions();
    void h.serveSnapshots();
    const ms = opts.heartbeatMs ?? 20;
    if (ms > 0) h.timer = setInterval(() => h.heartbeat(), ms);
    return h;
  }

  get endpoint(): string {
    return this.pub.lastEndpoint!;
  }

  get snapshotEndpoint(): string {
    return this.router.lastEndpoint!;
  }

  private async watchSubscriptions(): Promise<void> {
    try {
      for await (const [msg] of this.pub) {
        const topic = msg!.subarray(1).toString('latin1');
        if (msg![0] === 1) this.subscriptions.add(topic);
        else this.subscriptions.delete(topic);
        this.subscriptionLog.push(`${msg![0] === 1 ? '+' : '-'}${topic}`);
      }
    } catch { /* closed */ }
  }

  private async serveSnapshots(): Promise<void> {
    try {
      for await (const frames of this.router) {
        const req = decodeEvent<Record<string, unknown>>(frames[frames.length - 1]!);
        this.requests.push(req);
        if (!this.answerSnapshots) continue;
        const reply = this.answer(req);
        const envelope = frames.slice(0, -1);
        if (this.snapshotDelayMs > 0) await new Promise((r) => setTimeout(r, this.snapshotDelayMs));
        if (this.closed) return;
        await this.router.send([...envelope, reply]);
      }
    } catch { /* closed */ }
  }

  /** The reply the real hub would give (its state at this moment). */
  answer(req: Record<string, unknown>): Buffer {
    const id = req['id'];
    if (req['op'] !== 'last') return encodeEvent({ ok: false, error: 'MDH_ERR_SNAPSHOT_BAD_REQUEST', message: 'op', id });
    const want = Array.isArray(req['instruments']) ? new Set(req['instruments'] as string[]) : null;
    const ticks: Tick[] = [];
    const states: Record<string, string> = {};
    for (const [vt, t] of this.last) {
      if (want && !want.has(vt)) continue;
      ticks.push(t);
      states[vt] = this.states.get(vt) ?? 'ok';
    }
    const unknown = want ? [...want].filter((vt) => !this.last.has(vt)) : undefined;
    return encodeEvent({ ok: true, run_id: this.runId, seq: this.seq, ticks, states, ...(unknown ? { unknown } : {}), id });
  }

  /** Data states the snapshot reply gives (default ok). */
  readonly states = new Map<string, string>();

  /** Waits until the client is subscribed to `topic` (or, with `present` false, no longer). */
  async subscribed(topic: string, present = true, timeoutMs = 3000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.subscriptions.has(topic) !== present) {
      if (Date.now() > until) throw new Error(`${present ? 'no' : 'still a'} subscription to ${topic} (have: ${[...this.subscriptions].join(', ')})`);
      await sleep(5);
    }
  }

  /** The next state of an instrument (new seq and iseq, a trade), without sending it. */
  private next(symbol: string, exchange: Exchange, fields: Partial<Tick> = {}): Tick {
    const vt = `${symbol}.${exchange}`;
    const iseq = (this.iseq.get(vt) ?? 0) + 1;
    this.iseq.set(vt, iseq);
    const vol = (this.volume.get(vt) ?? 0) + 1;
    this.volume.set(vt, vol);
    const t: Tick = {
      ...emptyMarketTick(symbol, exchange), datetime: 1_764_034_200_000 + iseq * 500, trading_day: '20251125', name: symbol,
      localtime: 1_764_034_200_001 + iseq * 500, gateway_name: 'g', seq: ++this.seq, iseq, source: 'g',
      gw_recv_ts: 1, hub_recv_ts: 2, hub_pub_ts: 3, run_id: this.runId, volume: vol, last_volume: 1, last_price: 100 + iseq,
      ...fields,
    };
    this.last.set(vt, t);
    return t;
  }

  /** Publishes the next tick of an instrument (and queues it for the exchange's batch when batching). */
  tick(symbol: string, exchange: Exchange, fields: Partial<Tick> = {}): Tick {
    const t = this.next(symbol, exchange, fields);
    const payload = this.enc.encode(t);
    this.send([tickTopic(exchange, symbol), payload]);
    if (this.batch) {
      let b = this.pendingBatches.get(exchange);
      if (!b) this.pendingBatches.set(exchange, (b = { items: [], first: t.seq, last: t.seq }));
      b.items.push(payload);
      b.last = t.seq;
    }
    return t;
  }

  /** A tick the hub published that never reaches the client (lost in a queue). */
  lose(symbol: string, exchange: Exchange): Tick {
    return this.next(symbol, exchange);
  }

  /** Sends the pending batches (the end of a publish turn), exchanges in the given order or as they came. */
  flush(order?: Exchange[]): void {
    const exchanges = order ?? [...this.pendingBatches.keys()];
    for (const ex of exchanges) {
      const b = this.pendingBatches.get(ex);
      if (!b) continue;
      this.send([batchTopic(ex), encodeTickBatch(this.runId, b.first, b.last, b.items)]);
    }
    this.pendingBatches = new Map();
  }

  /** Forgets the pending batches (lost). */
  dropBatches(): void {
    this.pendingBatches = new Map();
  }

  /** zeromq.js refuses a send while another is in progress: messages go out one after the other, in order. */
  private chain: Promise<void> = Promise.resolve();
  readonly sendErrors: unknown[] = [];
  private send(frames: Array<string | Uint8Array>): void {
    this.chain = this.chain.then(() => this.pub.send(frames)).catch((err: unknown) => { if (!this.closed) this.sendErrors.push(err); });
  }

  heartbeat(): void {
    if (this.closed) return;
    this.send([HEARTBEAT_TOPIC, encodeEvent({
      hub_id: 'fake', run_id: this.runId, seq: this.seq, ts: Date.now(), market_ts: Date.now(), simulated: true, v: 1,
      started_at: 0, state: 'running', features: this.batch ? [BATCH_FEATURE] : [],
    })]);
  }

  status(kind: string, details: Record<string, unknown>): void {
    this.send([STATUS_TOPIC, encodeEvent({ kind, ts: Date.now(), hub_id: 'fake', run_id: this.runId, ...details })]);
  }

  raw(topic: string, payload: Uint8Array): void {
    this.send([topic, payload]);
  }

  /** A new run: sequences restart at 1, nothing published yet. */
  restart(): void {
    this.runId = newRunId();
    this.seq = 0;
    this.iseq.clear();
    this.last.clear();
    this.volume.clear();
    this.pendingBatches = new Map();
  }

  stopHeartbeats(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopHeartbeats();
    this.pub.close();
    this.router.close();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `cond` holds (or fails the wait with `what`). */
export async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}
