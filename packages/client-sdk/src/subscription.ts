import type { Tick } from '@mdhub/protocol';
import type { ClientError } from './errors.js';
import type { Pattern } from './patterns.js';
import type { OverflowPolicy } from './queue.js';
import { TickQueue } from './queue.js';
import type { RouteTarget } from './router.js';

/**
 * A tick handler. One that returns a promise is awaited before it gets the next tick; ticks that come
 * meanwhile wait in the subscription's bounded queue (see {@link OverflowPolicy}).
 */
export type TickHandler = (tick: Tick) => void;

export interface SubscribeOptions {
  /** Ticks that may wait for a slow strategy (an iterator, or a handler whose promise is pending). Default 100,000. */
  maxQueue?: number;
  /** What happens beyond `maxQueue`: `conflate` (default) or `error`. */
  overflow?: OverflowPolicy;
  /** Aborting it closes the subscription: an iteration ends, a handler gets nothing more. */
  signal?: AbortSignal;
}

/** What a subscription needs from its client. */
export interface SubscriptionOwner {
  closeSubscription(s: SubState, error?: ClientError): void;
  handlerError(s: SubState, err: unknown): void;
  queueEvent(s: SubState, result: 'conflated' | 'overflow'): void;
}

/** A subscription's state; the router delivers to it. @internal */
export class SubState implements RouteTarget {
  readonly queue: TickQueue;
  /** The ZeroMQ prefixes it holds now (they change when the client picks the batch stream). */
  prefixes: string[] = [];
  closed = false;
  error: ClientError | null = null;
  private errorThrown = false;
  private waiter: { resolve: (r: IteratorResult<Tick>) => void; reject: (e: Error) => void } | null = null;
  /** An async handler is running: ticks wait in the queue. */
  private busy = false;
  private joiningNow = false;
  private resolveReady!: () => void;
  readonly ready: Promise<void>;
  detachSignal: (() => void) | null = null;

  constructor(
    private readonly owner: SubscriptionOwner,
    readonly patterns: readonly Pattern[],
    readonly texts: readonly string[],
    readonly handler: TickHandler | null,
    maxQueue: number,
    policy: OverflowPolicy,
  ) {
    this.queue = new TickQueue(maxQueue, policy);
    this.ready = new Promise<void>((r) => { this.resolveReady = r; });
  }

  get joining(): boolean {
    return this.joiningNow;
  }

  set joining(v: boolean) {
    this.joiningNow = v;
    if (!v) this.resolveReady();
  }

  deliver(t: Tick): void {
    if (this.closed) return;
    if (this.handler !== null) {
      if (this.busy) this.enqueue(t);
      else this.call(t);
      return;
    }
    const w = this.waiter;
    if (w !== null) {
      this.waiter = null;
      w.resolve({ value: t, done: false });
      return;
    }
    this.enqueue(t);
  }

  private enqueue(t: Tick): void {
    const r = this.queue.push(t);
    if (r !== 'queued') this.owner.queueEvent(this, r);
  }

  private call(t: Tick): void {
    let r: unknown;
    try {
      r = (this.handler as (t: Tick) => unknown)(t);
    } catch (err) {
      this.owner.handlerError(this, err);
      return;
    }
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') {
      this.busy = true;
      (r as PromiseLike<unknown>).then(() => this.drain(), (err: unknown) => {
        this.owner.handlerError(this, err);
        this.drain();
      });
    }
  }

  /** An async handler finished: the next waiting tick. */
  private drain(): void {
    this.busy = false;
    while (!this.busy && !this.closed) {
      const t = this.queue.shift();
      if (t === undefined) return;
      this.call(t);
    }
  }

  next(): Promise<IteratorResult<Tick>> {
    const t = this.queue.shift();
    if (t !== undefined) return Promise.resolve({ value: t, done: false });
    if (this.error !== null && !this.errorThrown) {
      this.errorThrown = true;
      return Promise.reject(this.error);
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject }; });
  }

  /** Closed: a waiting iteration ends (or throws the error that closed it). */
  ended(error?: ClientError): void {
    this.closed = true;
    this.queue.clear(); // an iteration ends now, not after what was waiting
    if (error !== undefined) this.error = error;
    this.resolveReady();
    this.detachSignal?.();
    this.detachSignal = null;
    const w = this.waiter;
    this.waiter = null;
    if (w === null) return;
    if (this.error !== null && !this.errorThrown) {
      this.errorThrown = true;
      w.reject(this.error);
    } else {
      w.resolve({ value: undefined, done: true });
    }
  }
}

/**
 * A subscription: pass a handler to `subscribe`, or iterate it (`for await (const t of sub)`); either
 * way ticks come in order per instrument, merged with the snapshot when the client has a snapshot
 * endpoint. `close()` (or breaking out of the loop, or its AbortSignal) ends it.
 */
export class Subscription implements AsyncIterable<Tick> {
  /** @internal */
  constructor(/** @internal */ readonly state: SubState, private readonly owner: SubscriptionOwner) {}

  /** The patterns as given. */
  get patterns(): readonly string[] {
    return this.state.texts;
  }

  /** Resolves once the subscription's join snapshot is merged (at once without snapshots, or when it closes). */
  get ready(): Promise<void> {
    return this.state.ready;
  }

  get closed(): boolean {
    return this.state.closed;
  }

  /** The error that closed it (MDH_ERR_CLIENT_QUEUE_OVERFLOW under the `error` policy), else null. */
  get error(): ClientError | null {
    return this.state.error;
  }

  /** Ticks waiting for the strategy now. */
  get queued(): number {
    return this.state.queue.length;
  }

  /** Ticks replaced by a newer state of their instrument under the `conflate` policy. */
  get conflated(): number {
    return this.state.queue.conflated;
  }

  /** Same as `conflated` (the name of earlier versions, when the queue dropped the newest). */
  get dropped(): number {
    return this.state.queue.conflated;
  }

  [Symbol.asyncIterator](): AsyncIterator<Tick> {
    return {
      next: () => this.state.next(),
      return: async () => {
        this.close();
        return { value: undefined, done: true };
      },
    };
  }

  /** Ends the subscription; a running iteration ends. */
  close(): Promise<void> {
    this.owner.closeSubscription(this.state);
    return Promise.resolve();
  }
}
