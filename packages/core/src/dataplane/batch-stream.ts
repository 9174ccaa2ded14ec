/**
 * The batch stream (wire v1.1, heartbeat feature `batch`): every tick the data plane publishes while
 * handling one gateway message goes out once more, grouped by exchange, as one message on topic
 * `batch.<EXCHANGE>.`. A wide subscriber then pays the per-message cost (a receive, a topic match, a
 * callback turn) once per burst instead of once per tick. A tick is encoded once, in place in its batch
 * (its per-tick topic, when someone takes it, sends a copy of those bytes), so both streams carry the same
 * bytes for a tick. An exchange's batches are built only while some subscriber holds a prefix of its
 * topic (the publisher's subscription view).
 */
import type { Tick, TickEncodeMemo } from '@mdhub/protocol';
import { TICK_BATCH_MAX_BYTES, TICK_BATCH_MAX_TICKS, TickEncoder, batchTopic, tickBatchHeadMax, writeTickBatchHead } from '@mdhub/protocol';
import type { SubscriptionView } from './publisher.js';

interface Pending {
  topic: Buffer;
  topicText: string;
  /** Whether a subscriber takes this exchange's batches, as of `gen`. */
  wanted: boolean;
  gen: number;
  /** The exchange's slab: its batches are encoded in place, one after another, and sent from it. */
  slab: ArrayBuffer;
  bytes: Uint8Array;
  view: DataView;
  /** Where the waiting batch's ticks begin (its head goes just before) and end. */
  start: number;
  end: number;
  count: number;
  firstSeq: number;
  lastSeq: number;
}

/**
 * A long turn (a gateway message of a whole burst) sends what it has once its oldest tick has waited
 * 250 µs and at least 64 ticks wait, instead of at its end, so the first ticks of a burst are not held
 * for the last. The count keeps small turns (a quiet market, a slow moment of the machine) in one message
 * per exchange. Every exchange's batch goes out at once: a flush sends a contiguous range of seq.
 */
export const BATCH_MAX_WAIT_US = 250;
export const BATCH_EARLY_MIN_TICKS = 64;

/**
 * Each exchange encodes into a slab of its own: a batch starts in it while a whole batch (plus one tick)
 * still fits, and a message sent from it is a view that is never written again, so a slab is freed once
 * nothing queued refers to it.
 */
const SLAB_BYTES = 256 * 1024;
const ROOM_FOR_A_BATCH = TICK_BATCH_MAX_BYTES + 16 * 1024;

export class BatchStream {
  private readonly pending = new Map<string, Pending>();
  /** Exchanges with ticks waiting, in the order they got their first (a short list: flushed every turn). */
  private readonly waiting: Pending[] = [];
  /** When the oldest waiting tick was published, µs, and how many wait. */
  private oldestUs = 0;
  private waitingTicks = 0;
  private readonly headMax: number;
  private readonly head: Buffer;

  /**
   * `subscribed`: the publisher's view of its subscriptions; without it every exchange's batches are built.
   * `encoder`: the data plane's (its string caches are shared with the per-tick topics).
   */
  constructor(
    private readonly runId: string,
    private readonly send: (topic: Buffer, payload: Uint8Array) => void,
    private readonly subscribed?: SubscriptionView,
    private readonly encoder: TickEncoder = new TickEncoder(),
  ) {
    this.headMax = tickBatchHeadMax(runId);
    this.head = Buffer.alloc(this.headMax);
  }

  private pendingOf(exchange: string): Pending {
    let p = this.pending.get(exchange);
    if (p === undefined) {
      const topicText = batchTopic(exchange);
      const slab = new ArrayBuffer(0);
      p = {
        topic: Buffer.from(topicText, 'latin1'), topicText, wanted: true, gen: -1,
        slab, bytes: new Uint8Array(slab), view: new DataView(slab), start: 0, end: 0, count: 0, firstSeq: 0, lastSeq: 0,
      };
      this.pending.set(exchange, p);
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

  /**
   * Encodes one published tick into its exchange's waiting batch; `nowUs`: its hub_pub_ts. Returns the
   * tick's own bytes, never written again: its per-tick payload, with no second encoding (the data plane
   * sends a copy, so that a per-tick queue holds no batch slab).
   */
  add(exchange: string, t: Tick, memo: TickEncodeMemo | undefined, seq: number, nowUs: number): Uint8Array {
    if (this.waiting.length === 0) this.oldestUs = nowUs;
    else if (this.waitingTicks >= BATCH_EARLY_MIN_TICKS && nowUs - this.oldestUs >= BATCH_MAX_WAIT_US) {
      this.flush();
      this.oldestUs = nowUs;
    }
    const p = this.pendingOf(exchange);
    if (p.count >= TICK_BATCH_MAX_TICKS) this.flushOne(p); // before the add, so the exchange stays in `waiting`
    if (p.count === 0) this.open(p, false);
    let at = p.end;
    let end = this.encoder.encodeAt(t, memo, p.bytes, p.view, at);
    if (end < 0 || (p.count > 0 && end + this.headMax - p.start > TICK_BATCH_MAX_BYTES)) {
      // The tick would take the batch past its bound (or the slab's end): the batch goes without it, and the
      // tick starts the next one (its bytes here were never sent: they are written over).
      if (p.count > 0) this.flushOne(p);
      this.open(p, end < 0);
      at = p.end;
      end = this.encoder.encodeAt(t, memo, p.bytes, p.view, at);
      if (end < 0) throw new RangeError(`a tick of ${exchange} does not fit a ${SLAB_BYTES}-byte batch slab`);
    }
    this.waitingTicks++;
    if (p.count === 0) {
      p.firstSeq = seq;
      this.waiting.push(p);
    }
    p.count++;
    p.end = end;
    p.lastSeq = seq;
    return new Uint8Array(p.slab, at, end - at);
  }

  /** Sends every exchange's waiting ticks: at the end of each publish turn. */
  flush(): void {
    this.waitingTicks = 0;
    if (this.waiting.length === 0) return;
    for (const p of this.waiting) if (p.count > 0) this.emit(p);
    this.waiting.length = 0;
  }

  /** Starts `p`'s next batch after its last one, with room for the head before it; in a new slab when `fresh` or short of room. */
  private open(p: Pending, fresh: boolean): void {
    let start = ((p.end + 7) & ~7) + this.headMax;
    if (fresh || p.slab.byteLength - start < ROOM_FOR_A_BATCH) {
      p.slab = new ArrayBuffer(SLAB_BYTES);
      p.bytes = new Uint8Array(p.slab);
      p.view = new DataView(p.slab);
      start = this.headMax;
    }
    p.start = p.end = start;
  }

  private flushOne(p: Pending): void {
    this.emit(p);
    const i = this.waiting.indexOf(p);
    if (i >= 0) this.waiting.splice(i, 1);
  }

  /** Writes the head just before the batch's ticks and sends the whole from the slab, uncopied. */
  private emit(p: Pending): void {
    const headLen = writeTickBatchHead(this.head, this.runId, p.firstSeq, p.lastSeq, p.count);
    const from = p.start - headLen;
    p.bytes.set(this.head.subarray(0, headLen), from);
    p.count = 0;
    this.send(p.topic, new Uint8Array(p.slab, from, p.end - from));
  }
}
