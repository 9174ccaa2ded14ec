/**
 * The batch stream (wire v1.1, heartbeat feature `batch`): every tick the data plane publishes while
 * handling one gateway message goes out once more, grouped by exchange, as one message on topic
 * `batch.<EXCHANGE>.`. A wide subscriber then pays the per-message cost (a receive, a topic match, a
 * callback turn) once per burst instead of once per tick. The per-tick payloads are copied as they are,
 * so both streams carry the same bytes for a tick. An exchange's batches are built only while some
 * subscriber holds a prefix of its topic (the publisher's subscription view).
 */
import { TICK_BATCH_MAX_BYTES, TICK_BATCH_MAX_TICKS, batchTopic, encodeTickBatch } from '@mdhub/protocol';
import type { SubscriptionView } from './publisher.js';

interface Pending {
  topic: Buffer;
  topicText: string;
  /** Whether a subscriber takes this exchange's batches, as of `gen`. */
  wanted: boolean;
  gen: number;
  items: Uint8Array[];
  bytes: number;
  firstSeq: number;
  lastSeq: number;
}

/** Bytes of the batch map around its ticks (keys, run id, two sequence numbers, array header). */
const HEAD_BYTES = 128;
/**
 * A long turn (a gateway message of a whole burst) sends what it has once its oldest tick has waited
 * 250 µs and at least 64 ticks wait, instead of at its end, so the first ticks of a burst are not held
 * for the last. The count keeps small turns (a quiet market, a slow moment of the machine) in one message
 * per exchange. Every exchange's batch goes out at once: a flush sends a contiguous range of seq.
 */
export const BATCH_MAX_WAIT_US = 250;
export const BATCH_EARLY_MIN_TICKS = 64;

export class BatchStream {
  private readonly pending = new Map<string, Pending>();
  /** Exchanges with ticks waiting, in the order they got their first (a short list: flushed every turn). */
  private readonly waiting: Pending[] = [];
  /** When the oldest waiting tick was published, µs, and how many wait. */
  private oldestUs = 0;
  private waitingTicks = 0;

  /** `subscribed`: the publisher's view of its subscriptions; without it every exchange's batches are built. */
  constructor(private readonly runId: string, private readonly send: (topic: Buffer, payload: Buffer) => void, private readonly subscribed?: SubscriptionView) {}

  private pendingOf(exchange: string): Pending {
    let p = this.pending.get(exchange);
    if (p === undefined) {
      const topicText = batchTopic(exchange);
      this.pending.set(exchange, (p = { topic: Buffer.from(topicText, 'latin1'), topicText, wanted: true, gen: -1, items: [], bytes: HEAD_BYTES, firstSeq: 0, lastSeq: 0 }));
    }
    return p;
  }

  /** Whether some subscriber takes `exchange`'s batches (always, without a subscription view). */
  wanted(exchange: string): boolean {
    const v = this.subscribed;
    if (v === undefined) return true;
    const p = this.pendingOf(exchange);
    if (p.gen !== v.generation) {
      p.gen = v.generation;
      p.wanted = v.wants(p.topicText);
    }
    return p.wanted;
  }

  /** Adds one published tick's payload (never written again by its encoder) to its exchange's batch; `nowUs`: its hub_pub_ts. */
  add(exchange: string, payload: Uint8Array, seq: number, nowUs: number): void {
    if (this.waiting.length === 0) this.oldestUs = nowUs;
    else if (this.waitingTicks >= BATCH_EARLY_MIN_TICKS && nowUs - this.oldestUs >= BATCH_MAX_WAIT_US) {
      this.flush();
      this.oldestUs = nowUs;
    }
    this.waitingTicks++;
    const p = this.pendingOf(exchange);
    if (p.items.length > 0 && (p.items.length >= TICK_BATCH_MAX_TICKS || p.bytes + payload.length > TICK_BATCH_MAX_BYTES)) this.flushOne(p);
    if (p.items.length === 0) {
      p.firstSeq = seq;
      this.waiting.push(p);
    }
    p.items.push(payload);
    p.bytes += payload.length;
    p.lastSeq = seq;
  }

  /** Sends every exchange's waiting ticks: at the end of each publish turn. */
  flush(): void {
    if (this.waiting.length === 0) return;
    for (const p of this.waiting) if (p.items.length > 0) this.emit(p);
    this.waiting.length = 0;
    this.waitingTicks = 0;
  }

  private flushOne(p: Pending): void {
    this.emit(p);
    const i = this.waiting.indexOf(p);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  private emit(p: Pending): void {
    const payload = encodeTickBatch(this.runId, p.firstSeq, p.lastSeq, p.items);
    p.items = [];
    p.bytes = HEAD_BYTES;
    this.send(p.topic, payload);
  }
}
