import type { Tick } from '@mdhub/protocol';

/**
 * What a subscription does when its strategy is slower than the feed and `maxQueue` ticks wait:
 * - `conflate`: keep the latest state per instrument. A tick of an instrument that already waits replaces
 *   that waiting tick in its place (its `last_volume` adds the replaced one's, so volume still adds up);
 *   every replaced tick is counted in `conflated`. A tick of an instrument with nothing waiting is still
 *   queued, so the bound is `maxQueue` plus one tick per instrument.
 * - `error`: the subscription is closed with MDH_ERR_CLIENT_QUEUE_OVERFLOW (an `overflow` event, and the
 *   iterator throws it): for a strategy that must see every tick or stop.
 */
export type OverflowPolicy = 'conflate' | 'error';

/** Result of {@link TickQueue.push}. */
export type PushResult = 'queued' | 'conflated' | 'overflow';

/**
 * A FIFO of ticks bounded by a policy. Pure: no I/O, no timers. Under `conflate` it keeps, per instrument,
 * where that instrument's newest waiting tick is, so replacing it costs two map lookups.
 */
export class TickQueue {
  private buf: Array<Tick | undefined> = [];
  private head = 0;
  /** Absolute position of buf[0]: positions stay valid when the array is compacted. */
  private start = 0;
  /** exchange → symbol → absolute position of the instrument's newest waiting tick (conflate only). */
  private readonly newest = new Map<string, Map<string, number>>();
  /** Ticks replaced by a newer state of their instrument. */
  conflated = 0;
  /** Most ticks that waited at once. */
  maxDepth = 0;

  constructor(readonly maxQueue: number, readonly policy: OverflowPolicy) {
    if (!(maxQueue >= 1)) throw new RangeError(`maxQueue must be at least 1 (got ${maxQueue})`);
  }

  get length(): number {
    return this.buf.length - this.head;
  }

  push(t: Tick): PushResult {
    const conflate = this.policy === 'conflate';
    if (this.length >= this.maxQueue) {
      if (!conflate) return 'overflow';
      const at = this.newest.get(t.exchange)?.get(t.symbol);
      if (at !== undefined) {
        const i = at - this.start;
        const old = this.buf[i]!;
        this.buf[i] = old.trading_day === t.trading_day ? { ...t, last_volume: old.last_volume + t.last_volume } : t;
        this.conflated++;
        return 'conflated';
      }
    }
    const pos = this.start + this.buf.length;
    this.buf.push(t);
    if (conflate) {
      let bySym = this.newest.get(t.exchange);
      if (bySym === undefined) this.newest.set(t.exchange, (bySym = new Map()));
      bySym.set(t.symbol, pos);
    }
    const depth = this.length;
    if (depth > this.maxDepth) this.maxDepth = depth;
    return 'queued';
  }

  shift(): Tick | undefined {
    if (this.head >= this.buf.length) return undefined;
    const pos = this.start + this.head;
    const t = this.buf[this.head]!;
    this.buf[this.head] = undefined;
    this.head++;
    if (this.policy === 'conflate') {
      const bySym = this.newest.get(t.exchange);
      if (bySym !== undefined && bySym.get(t.symbol) === pos) bySym.delete(t.symbol);
    }
    if (this.head === this.buf.length) {
      this.start += this.buf.length;
      this.buf = [];
      this.head = 0;
    } else if (this.head >= 4096 && this.head * 2 >= this.buf.length) {
      this.buf = this.buf.slice(this.head);
      this.start += this.head;
      this.head = 0;
    }
    return t;
  }

  clear(): void {
    this.start += this.buf.length;
    this.buf = [];
    this.head = 0;
    this.newest.clear();
  }
}
