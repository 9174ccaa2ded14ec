import * as zmq from 'zeromq';

export interface PublisherOptions {
  endpoint: string;
  /** ZMQ_SNDHWM per subscriber, in messages (a multipart tick is one message). */
  sendHighWaterMark: number;
  /** Ticks held in the hub while the socket is busy; beyond it ticks are dropped, counted and reported. */
  maxQueue: number;
}

/**
 * The one PUB socket. Sends are serialised (zeromq.js refuses a second send while one is in flight), so
 * messages queue here and one drain loop writes them in order. A slow subscriber costs nothing here: libzmq
 * drops messages for a subscriber whose high-water mark is reached, and seq/iseq make that visible to it.
 */
export class Publisher {
  private readonly sock: zmq.Publisher;
  private readonly topics: Array<Buffer | string> = [];
  private readonly payloads: Buffer[] = [];
  private head = 0;
  private draining = false;
  private waiters: Array<{ below: number; resolve: () => void }> = [];
  private closed = false;
  endpoint = '';
  sent = 0;
  dropped = 0;
  maxDepth = 0;

  constructor(private readonly opts: PublisherOptions) {
    this.sock = new zmq.Publisher({ sendHighWaterMark: opts.sendHighWaterMark, linger: 0, noDrop: false });
  }

  async bind(): Promise<string> {
    await this.sock.bind(this.opts.endpoint);
    this.endpoint = this.sock.lastEndpoint ?? this.opts.endpoint;
    return this.endpoint;
  }

  get depth(): number {
    return this.topics.length - this.head;
  }

  /** Queues one message; returns false (and counts it) when the queue is full. */
  send(topic: Buffer | string, payload: Buffer): boolean {
    if (this.closed) return false;
    if (this.depth >= this.opts.maxQueue) {
      this.dropped++;
      return false;
    }
    this.topics.push(topic);
    this.payloads.push(payload);
    const d = this.depth;
    if (d > this.maxDepth) this.maxDepth = d;
    if (!this.draining) void this.drain();
    return true;
  }

  /** Queues a message even when the queue is full (overload notices must get out). */
  forceSend(topic: Buffer | string, payload: Buffer): void {
    if (this.closed) return;
    this.topics.push(topic);
    this.payloads.push(payload);
    if (!this.draining) void this.drain();
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.head < this.topics.length && !this.closed) {
        const i = this.head++;
        await this.sock.send([this.topics[i]!, this.payloads[i]!]);
        this.sent++;
        if (this.waiters.length > 0) this.wake();
        if (this.head > 4096 && this.head * 2 > this.topics.length) {
          this.topics.splice(0, this.head);
          this.payloads.splice(0, this.head);
          this.head = 0;
        }
      }
    } catch (err) {
      if (!this.closed) throw err;
    } finally {
      this.draining = false;
      this.wake();
    }
  }

  /**
   * Resolves once at most `below` messages wait. The data plane awaits this between gateway batches, so
   * sending keeps up with arbitration (one send completes per microtask, and a new batch would otherwise
   * take its turn between every two sends) and a backlog stays in the bounded gateway links, not here.
   */
  waitBelow(below: number): Promise<void> {
    if (this.depth <= below || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ below, resolve }));
  }

  private wake(): void {
    const d = this.depth;
    const keep: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (d <= w.below || this.closed || !this.draining) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }

  /** Waits until everything queued has been handed to libzmq (bounded by timeoutMs). */
  async flush(timeoutMs = 2000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.depth > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
  }

  close(): void {
    this.closed = true;
    this.wake();
    this.sock.close();
  }
}
