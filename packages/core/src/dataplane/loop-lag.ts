/**
 * Event-loop lag of one thread (the control plane's or the data plane's), from Node's own sampler
 * (perf_hooks.monitorEventLoopDelay): p50, p99 and max over the last completed 10 s window. A thread
 * that is busy in one long turn (a big burst, a GC pause, a synchronous call) shows here before its
 * callers notice.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

export interface LoopLag {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
}

const WINDOW_MS = 10_000;

export class LoopLagMonitor {
  private readonly h: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private last: LoopLag | null = null;

  constructor() {
    this.h.enable();
    // Lives with its thread (see threadLoopLag): the timer never keeps a process alive.
    setInterval(() => this.roll(), WINDOW_MS).unref();
  }

  private roll(): void {
    // The sampler's figures include its own resolution: the lag is what goes beyond it.
    const ms = (ns: number): number => Math.max(0, ns / 1e6 - 10);
    this.last = this.h.count > 0 ? { p50_ms: ms(this.h.percentile(50)), p99_ms: ms(this.h.percentile(99)), max_ms: ms(this.h.max) } : null;
    this.h.reset();
  }

  /** The last full window's figures; null in the first 10 s. */
  read(): LoopLag | null {
    return this.last;
  }
}

let mine: LoopLagMonitor | null = null;

/** This thread's monitor (each worker thread has its own module instance): made on first use, lives with the thread. */
export function threadLoopLag(): LoopLagMonitor {
  return (mine ??= new LoopLagMonitor());
}
