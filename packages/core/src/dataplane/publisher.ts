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
  /**
   * Subscriber connections, from the socket's monitor (libzmq tells the hub of connects and disconnects,
   * never of a peer's queue or its drops: a subscriber sees its own losses as gaps in `seq`).
   */
  readonly peers = { connected: 0, connects: 0, disconnects: 0 };
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
    this.peersDone = this.watchPeers();
    return this.endpoint;
  }

  private peersDone: Promise<void> = Promise.resolve();

  private async watchPeers(): Promise<void> {
    try {
      for await (const ev of this.sock.events) {
        if (ev.type === 'accept') {
          this.peers.connects++;
          this.peers.connected++;
        } else if (ev.type === 'disconnect') {
          this.peers.disconnects++;
          this.peers.connected = Math.max(0, this.peers.connected - 1);
        }
      }
    } catch { /* the socket closed */ }
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

  /**
   * Closes the socket, then waits (at most 1 s) for its monitor to see the end: a monitor still open when
   * a worker thread exits aborts the whole process, and closing the monitor by hand breaks later sockets.
   */
  async close(): Promise<void> {
    this.closed = true;
    this.sock.close();
    await Promise.race([this.peersDone, new Promise((r) => setTimeout(r, 1000).unref())]);
  }
}
