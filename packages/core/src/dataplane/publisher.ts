import * as zmq from 'zeromq';

/** libzmq's ZMQ_OUT_BATCH_SIZE (a draft option; zeromq.js builds libzmq with it). */
export const ZMQ_OUT_BATCH_SIZE = 102;
/** Bytes libzmq writes per syscall: 64 KB (default 8 KB, about 8 ticks) means fewer syscalls at a burst. */
export const SOCKET_BATCH_BYTES = 65_536;

export interface PublisherOptions {
  endpoint: string;
  /** ZMQ_SNDHWM per subscriber, in messages (a multipart tick is one message). */
  sendHighWaterMark: number;
}

/**
 * The one PUB socket. Every send goes straight into libzmq, synchronously: the socket has a send timeout
 * of 0, so zeromq.js neither polls for writability nor defers the send, and a PUB socket never blocks
 * (libzmq drops messages for a subscriber whose high-water mark is reached; seq and iseq make that
 * visible to it). Nothing waits in the hub, so no per-message promise is awaited and no queue can grow.
 * A send that fails (the socket closing) is counted in `dropped`.
 */
export class Publisher {
  private readonly sock: zmq.Publisher;
  private closed = false;
  endpoint = '';
  sent = 0;
  dropped = 0;
  /** Called once per failed send (the data plane turns it into an overload notice). */
  onDrop: (err: unknown) => void = () => {};
  /** Messages queued per subscriber before libzmq drops for it (a stalled subscriber holds up to this many). */
  readonly highWaterMark: number;

  constructor(opts: PublisherOptions) {
    this.sock = new zmq.Publisher({ sendHighWaterMark: opts.sendHighWaterMark, sendTimeout: 0, linger: 0, noDrop: false });
    this.endpoint = opts.endpoint;
    this.highWaterMark = opts.sendHighWaterMark;
    try {
      (this.sock as unknown as { setInt32Option(id: number, v: number): void }).setInt32Option(ZMQ_OUT_BATCH_SIZE, SOCKET_BATCH_BYTES);
    } catch { /* a libzmq built without draft options keeps its 8 KB default (the unit test notices) */ }
  }

  async bind(): Promise<string> {
    await this.sock.bind(this.endpoint);
    this.endpoint = this.sock.lastEndpoint ?? this.endpoint;
    return this.endpoint;
  }

  /** Hands one message to libzmq; returns false (and counts it) when that fails. */
  send(topic: Buffer | string, payload: Buffer): boolean {
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
    this.sock.close();
  }
}
