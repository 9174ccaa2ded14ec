import * as zmq from 'zeromq';

/** libzmq's ZMQ_OUT_BATCH_SIZE (a draft option; zeromq.js builds libzmq with it). */
export const ZMQ_OUT_BATCH_SIZE = 102;
/** Bytes libzmq writes per syscall: 64 KB (default 8 KB, about 8 ticks) means fewer syscalls at a burst. */
export const SOCKET_BATCH_BYTES = 65_536;

export interface PublisherOptions {
  endpoint: string;
  /** ZMQ_SNDHWM per subscriber, in messages (a multipart tick is one message). */
  sendHighWaterMark: number;
  /** The idle poll of new subscriptions, ms (default SUBSCRIPTION_POLL_MS; tests set it long). */
  subscriptionPollMs?: number;
}

/**
 * A timer reads new subscriptions this often, ms. While ticks flow the data plane also asks, before each
 * gateway message, whether subscription messages wait (`subscriptionsWaiting`, ZMQ_EVENTS) and reads them
 * first, so a new subscription is in effect for the next tick whatever this period. The timer keeps the
 * subscription gauge current when nothing flows. (A 5 ms timer, the first version, woke the data-plane
 * thread 200 times a second in an idle hub.)
 */
export const SUBSCRIPTION_POLL_MS = 100;

/** What a publisher knows of its subscriptions: whether a topic has a subscriber, and when that may have changed. */
export interface SubscriptionView {
  /** Bumped whenever the set of subscribed prefixes changes: an answer of `wants` cached under another generation is stale. */
  readonly generation: number;
  wants(topic: string): boolean;
}

/**
 * The one PUB socket (an XPUB: a PUB that also reads its subscriptions). Every send goes straight into
 * libzmq, synchronously: the socket has a send timeout of 0, so zeromq.js neither polls for writability
 * nor defers the send, and a PUB socket never blocks (libzmq drops messages for a subscriber whose
 * high-water mark is reached; seq and iseq make that visible to it). Nothing waits in the hub, so no
 * per-message promise is awaited and no queue can grow. A send that fails (the socket closing) is
 * counted in `dropped`.
 *
 * Subscriptions: libzmq hands an XPUB the first subscription of each prefix and the removal of its last
 * (a subscriber's unsubscribe or its disconnect), so `prefixes` is the set of prefixes some subscriber
 * holds. The data plane asks `wants(topic)` (cached per topic and generation) and leaves a tick's
 * per-tick message, or an exchange's batch, unbuilt and unsent when nobody would receive it: a hub whose
 * wide subscribers take the batch stream no longer pays a send per tick (about 1 µs alone, a quarter of
 * the data plane's time under load). A new subscription takes effect when the data plane reads it: before
 * the next gateway message is handled (clients join two heartbeats after subscribing anyway).
 */
export class Publisher implements SubscriptionView {
  private readonly sock: zmq.XPublisher;
  private closed = false;
  endpoint = '';
  sent = 0;
  dropped = 0;
  /** Tick messages not sent because no subscriber held a prefix of their topic. */
  unsubscribed = 0;
  generation = 0;
  private readonly prefixes = new Set<string>();
  /** The longest subscribed prefix: longer prefixes of a topic need no lookup. */
  private longest = 0;
  /** Called once per failed send (the data plane turns it into an overload notice). */
  onDrop: (err: unknown) => void = () => {};
  /** Messages queued per subscriber before libzmq drops for it (a stalled subscriber holds up to this many). */
  readonly highWaterMark: number;

  constructor(opts: PublisherOptions) {
    this.sock = new zmq.XPublisher({ sendHighWaterMark: opts.sendHighWaterMark, sendTimeout: 0, receiveTimeout: 0, linger: 0, noDrop: false });
    this.pollTimer = setInterval(() => void this.readSubscriptions(), opts.subscriptionPollMs ?? SUBSCRIPTION_POLL_MS);
    this.pollTimer.unref();
    this.endpoint = opts.endpoint;
    this.highWaterMark = opts.sendHighWaterMark;
    try {
      (this.sock as unknown as { setInt32Option(id: number, v: number): void }).setInt32Option(ZMQ_OUT_BATCH_SIZE, SOCKET_BATCH_BYTES);
    } catch { /* a libzmq built without draft options keeps its 8 KB default (the unit test notices) */ }
  }

  async bind(): Promise<string> {
    await this.sock.bind(this.endpoint);
    this.endpoint = this.sock.lastEndpoint ?? this.endpoint;
    void this.readSubscriptions();
    return this.endpoint;
  }

  /** Whether some subscriber holds a prefix of `topic` (latin1, as on the wire). */
  wants(topic: string): boolean {
    const prefixes = this.prefixes;
    if (prefixes.size === 0) return false;
    const n = Math.min(topic.length, this.longest);
    for (let i = 0; i <= n; i++) if (prefixes.has(i === topic.length ? topic : topic.slice(0, i))) return true;
    return false;
  }

  /** The prefixes subscribed now (for stats and tests). */
  get subscriptions(): number {
    return this.prefixes.size;
  }

  /** Applies one XPUB message: byte 1 + prefix (its first subscriber), byte 0 + prefix (its last one left). */
  private applySubscription(msg: Uint8Array): void {
    if (msg.length === 0 || (msg[0] !== 0 && msg[0] !== 1)) return;
    const prefix = Buffer.from(msg.buffer, msg.byteOffset + 1, msg.length - 1).toString('latin1');
    if (msg[0] === 1) {
      this.prefixes.add(prefix);
      if (prefix.length > this.longest) this.longest = prefix.length;
    } else {
      this.prefixes.delete(prefix);
      this.longest = 0;
      for (const p of this.prefixes) if (p.length > this.longest) this.longest = p.length;
    }
    this.generation++;
  }

  /**
   * Reads the subscription messages waiting: before a gateway message when some wait, on the idle timer,
   * and before a snapshot answer. A receive kept pending arms zeromq.js's read poller on the socket's
   * ZMQ_FD, which libzmq signals for its internal commands too (many a second while the hub sends), each a
   * wake-up of the data-plane thread; asking ZMQ_EVENTS arms nothing. (The end-to-end pairs could not tell
   * the two apart: docs/benchmarks.md, round 6.) A read asks `readable` first and receives (timeout 0) only
   * what waits.
   */
  private readonly pollTimer: NodeJS.Timeout;
  /** The reads in flight, one after the other. */
  private reads: Promise<void> = Promise.resolve();

  /**
   * Reads every subscription message waiting now; resolves once they are applied. The snapshot service
   * calls it before it answers: a client that subscribed and then asked for a snapshot (the documented
   * join) must not miss the ticks published between the snapshot and the hub's next poll.
   */
  readSubscriptions(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.reads = this.reads.then(() => this.drainSubscriptions());
    return this.reads;
  }

  /** Whether subscription messages wait to be read (ZMQ_EVENTS: libzmq takes in its pending commands, nothing is received). */
  get subscriptionsWaiting(): boolean {
    return !this.closed && this.sock.readable;
  }

  private async drainSubscriptions(): Promise<void> {
    try {
      // `readable` (ZMQ_EVENTS) asks libzmq without a receive: an idle poll costs no EAGAIN error object.
      while (!this.closed && this.sock.readable) {
        const [msg] = await this.sock.receive();
        if (msg) this.applySubscription(msg);
      }
    } catch {
      // EAGAIN (nothing waited after all) or the socket closed
    }
  }

  /** Hands one message to libzmq; returns false (and counts it) when that fails. */
  send(topic: Buffer | string, payload: Uint8Array): boolean {
    if (this.closed) return false;
    try {
      // Resolved or rejected before send() returns (send timeout 0); only a rejection needs a handler.
      this.sock.send([topic, payload]).catch(this.failed);
    } catch (err) {
      this.dropped++;
      this.onDrop(err);
      return false;
    }
    this.sent++;
    return true;
  }

  private readonly failed = (err: unknown): void => {
    if (this.closed) return;
    this.sent--;
    this.dropped++;
    this.onDrop(err);
  };

  close(): void {
    this.closed = true;
    clearInterval(this.pollTimer);
    this.sock.close();
  }
}
