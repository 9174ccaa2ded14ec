import * as zmq from 'zeromq';
import type { MarketTick } from '@mdhub/protocol';
import { BatchEncoder } from '@mdhub/protocol';

/**
 * High-water mark of a gateway link, in batches, on both ends (PUSH send, PULL receive). Small on purpose:
 * when the data plane falls behind, ticks wait in the gateway process, where they merge into fewer, larger
 * batches (cheaper to receive), instead of as thousands of small batches in the core's memory.
 */
export const LINK_HWM = 16;

/**
 * Most ticks in one link message (about 1.6 MB). A market burst is smaller (under 2,500 ticks per source
 * at 150k inbound/s), so this only splits a backlog: without it a gateway that had fallen behind sent its
 * whole backlog as one message (tens of MB), and the hub's PULL queue of 16 messages could hold hundreds of
 * MB. With it, a link's queue stays under ~26 MB and a backlog drains as a stream of bounded messages.
 */
export const LINK_MAX_BATCH = 4096;

/**
 * The gateway side of the data link (PUSH). Natural batching: ticks emitted during one event-loop turn
 * are sent as one message at the end of the turn (setImmediate), so a quiet market sends one tick per
 * message with no added delay, and a busy one sends hundreds per message (at most {@link LINK_MAX_BATCH};
 * the rest follows at once). While a send is in flight, new ticks gather for the next message, and every
 * full message's worth of them is encoded at once (a backlog waits as bytes).
 */
export class GatewayLink {
  private readonly sock: zmq.Push;
  private readonly encoder = new BatchEncoder();
  /** Ticks waiting for the link: pending[head…]. */
  private pending: MarketTick[] = [];
  private head = 0;
  /**
   * Full messages (maxBatch ticks each) encoded while a send was in flight: a backlog waits as bytes
   * (~400 B a tick, outside the JS heap), not as tick objects the collector must mark again and again
   * while the hub catches up. They leave before `pending`.
   */
  private readonly ready: Array<{ msg: Buffer; n: number }> = [];
  private readyTicks = 0;
  private pendingSinceNs = 0;
  private scheduled = false;
  private sending = false;
  private batchSeq = 0;
  private closed = false;
  sentTicks = 0;
  sentBatches = 0;
  /** Ticks dropped because `pending` was full (the hub fell far behind): counted, reported in pongs. */
  overflow = 0;

  /** Ticks waiting in this process for the link (the hub's backlog on this source). */
  get pendingTicks(): number {
    return this.pending.length - this.head + this.readyTicks;
  }

  /** Of pendingTicks: ticks already encoded into messages that wait for the socket. */
  get encodedTicks(): number {
    return this.readyTicks;
  }

  /** Default for maxPending: most ticks held in this process while the hub is not reading. */
  static readonly MAX_PENDING = 1_000_000;

  constructor(
    private readonly runId: string,
    private readonly gatewayId: string,
    private readonly maxPending = GatewayLink.MAX_PENDING,
    private readonly maxBatch = LINK_MAX_BATCH,
  ) {
    // With the hub's bounded PULL queue, a stalled or saturated hub backs up here and then in `pending`.
    this.sock = new zmq.Push({ linger: 500, sendHighWaterMark: LINK_HWM });
  }

  connect(endpoint: string): void {
    this.sock.connect(endpoint);
  }

  emit(ticks: readonly MarketTick[]): void {
    if (this.closed) return;
    if (this.pending.length === this.head) this.pendingSinceNs = Number(process.hrtime.bigint());
    const room = this.maxPending - this.pendingTicks;
    const n = Math.min(ticks.length, Math.max(0, room));
    for (let i = 0; i < n; i++) this.pending.push(ticks[i]!);
    this.overflow += ticks.length - n;
    if (this.sending) this.encodeFull();
    if (!this.scheduled && !this.sending) {
      this.scheduled = true;
      setImmediate(this.flush);
    }
  }

  /** Encodes the next message from `pending`: all of it, or maxBatch ticks when there are more. */
  private encodeNext(): { msg: Buffer; n: number } {
    let ticks: MarketTick[];
    const waiting = this.pending.length - this.head;
    if (waiting > this.maxBatch) {
      // The rest keeps the pending-since stamp (its ticks waited at most that long: a conservative stamp).
      ticks = this.pending.slice(this.head, this.head + this.maxBatch);
      this.head += this.maxBatch;
      if (this.head > 65_536 && this.head * 2 > this.pending.length) {
        this.pending = this.pending.slice(this.head);
        this.head = 0;
      }
    } else {
      ticks = this.head === 0 ? this.pending : this.pending.slice(this.head);
      this.pending = [];
      this.head = 0;
    }
    const msg = this.encoder.encode(
      { runId: this.runId, gatewayId: this.gatewayId, batchSeq: ++this.batchSeq, sentNs: this.pendingSinceNs },
      ticks,
    );
    return { msg, n: ticks.length };
  }

  /** While a send is in flight: every full message's worth of pending ticks becomes bytes now. */
  private encodeFull(): void {
    while (this.pending.length - this.head >= this.maxBatch) {
      const m = this.encodeNext();
      this.ready.push(m);
      this.readyTicks += m.n;
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    if (this.sending || this.pendingTicks === 0 || this.closed) return;
    let next = this.ready.shift();
    if (next !== undefined) this.readyTicks -= next.n;
    else next = this.encodeNext();
    const { msg, n } = next;
    this.sending = true;
    this.sock.send(msg).then(
      () => {
        this.sending = false;
        this.sentTicks += n;
        this.sentBatches++;
        if (this.pendingTicks > 0) this.flush();
      },
      () => {
        this.sending = false;
      },
    );
  };

  async close(): Promise<void> {
    this.flush();
    for (let i = 0; i < 100 && (this.sending || this.pendingTicks > 0); i++) await new Promise((r) => setTimeout(r, 5));
    this.closed = true;
    this.sock.close();
  }
}
