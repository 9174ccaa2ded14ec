/**
 * Shared pieces of the end-to-end benchmark (bench/e2e): paths, the epoch/monotonic clock method,
 * histograms (hdr-histogram-js) and the messages children send back over their IPC channel.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import type { Histogram } from 'hdr-histogram-js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = path.join(ROOT, 'packages/core/dist/cli.js');
export const BENCH_DIR = path.join(ROOT, 'bench/e2e');
/** Pinned market clock, as the e2e tests do: 09:35 Shanghai on a trading day, every exchange in session. */
export const SIM_ANCHOR = '2026-11-25T09:35:00+08:00';
export const MARKET_SEED = 20260101;

/** CLOCK_MONOTONIC in ns (as a float: exact to well below a µs for decades of uptime). */
export const monoNs = (): number => Number(process.hrtime.bigint());

/**
 * Epoch µs minus CLOCK_MONOTONIC µs in this thread, by the hub's own method
 * ((performance.timeOrigin + performance.now()) * 1000 − hrtime / 1000); median of a few reads.
 */
export function epochMinusMonoUs(): number {
  const v: number[] = [];
  for (let i = 0; i < 9; i++) v.push((performance.timeOrigin + performance.now()) * 1000 - Number(process.hrtime.bigint()) / 1000);
  v.sort((a, b) => a - b);
  return v[4]!;
}

/**
 * The same offset measured against the system's CLOCK_REALTIME directly (Date.now() bracketing reads,
 * ms resolution, so good to ~±0.5 ms): shows whether performance.timeOrigin drifted from wall time.
 */
export function realtimeMinusMonoUs(): number {
  // Wait for a Date.now() edge so the ms reading is known to ±(read gap).
  const start = Date.now();
  let ms = start;
  let mono = 0;
  for (let i = 0; i < 2_000_000; i++) {
    ms = Date.now();
    if (ms !== start) {
      mono = Number(process.hrtime.bigint());
      break;
    }
  }
  return ms * 1000 - mono / 1000;
}

/** A latency histogram in µs (1 µs .. 60 s, 3 significant digits, resizes itself). */
export function newHist(): Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3, autoResize: true });
}

export function recordUs(h: Histogram, us: number): void {
  h.recordValue(us < 1 ? 1 : Math.round(us));
}

export const encodeHist = (h: Histogram): string => hdr.encodeIntoCompressedBase64(h);
export const decodeHist = (s: string): Histogram => hdr.decodeFromCompressedBase64(s);

export interface HistSummary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

export function summarize(h: Histogram): HistSummary {
  if (h.totalCount === 0) return { n: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  return {
    n: h.totalCount,
    p50: h.getValueAtPercentile(50),
    p90: h.getValueAtPercentile(90),
    p99: h.getValueAtPercentile(99),
    p999: h.getValueAtPercentile(99.9),
    max: h.maxValue,
    mean: Math.round(h.mean * 10) / 10,
  };
}

/** CDF points (value µs, cumulative fraction) of a histogram, for the plot. */
export function cdfPoints(h: Histogram, points = 200): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  if (h.totalCount === 0) return out;
  for (let i = 0; i <= points; i++) {
    // denser towards the tail: 1 - 10^(-4 i / points) covers 0 .. 99.99 %
    const q = i === 0 ? 0.1 : 100 * (1 - 10 ** (-4 * i / points));
    out.push([Math.max(1, h.getValueAtPercentile(q)), q / 100]);
  }
  out.push([h.maxValue, 1]);
  return out;
}

// ------------------------------------------------------------------------------------------------
// Messages children send to the orchestrator (IPC channel of fork()).

export interface ClockReport {
  /** epochMinusMonoUs() of the process (performance.timeOrigin method). */
  offsetUs: number;
  /** realtimeMinusMonoUs() (Date.now() method, ±0.5 ms). */
  realtimeOffsetUs: number;
  pid: number;
}

/** Raw-hop children and the measuring subscriber say they are ready (SUB connected, PUB bound). */
export interface ReadyMsg {
  t: 'ready';
  endpoint?: string;
  clock: ClockReport;
}

export interface RawSubResult {
  t: 'raw-result';
  lat: string;
  decode: string;
  received: number;
  inWindow: number;
  /** Receive rate in the window (messages/s). */
  ratePerS: number;
  clock: ClockReport;
  /** storm mode: per burst (keyed by the burst's send stamp), messages and first → last receive, ms. */
  bursts?: Array<{ count: number; drainMs: number }>;
}

export interface RawPubResult {
  t: 'pub-result';
  sent: number;
  sentInWindow: number;
  ratePerS: number;
  turns: number;
  /** Sends libzmq refused (never expected on a PUB socket). */
  sendFailed: number;
}

export interface BurstStat {
  /** Burst market datetime (ms). */
  datetime: number;
  count: number;
  firstRecvNs: number;
  lastRecvNs: number;
  /** Earliest gw_recv_ts and hub_recv_ts, latest hub_pub_ts in the burst, epoch µs. */
  minGw: number;
  minHubRecv: number;
  maxHubPub: number;
  maxE2eUs: number;
}

export interface SubResult {
  t: 'sub-result';
  e2e: string;
  link: string;
  hub: string;
  pub2sub: string;
  decode: string;
  received: number;
  inWindow: number;
  /** Ticks whose e2e came out negative (clock offsets disagree): clamped to 1 µs in the histogram. */
  negative: number;
  gaps: number;
  dropped: number;
  /** Per second of the window: mean e2e µs and max, mean link µs. */
  perSecond: Array<{ n: number; e2eMean: number; e2eMax: number; linkMean: number }>;
  /** File with the stateKeys (Float64Array) of every tick received while collecting. */
  keysFile: string;
  keys: number;
  bursts: BurstStat[];
  minLinkUs: number;
  clock: ClockReport;
  /** Offset measured in a worker thread of the subscriber (a thread's own timeOrigin). */
  workerClock: ClockReport | null;
}

/** Orchestrator → subscriber. */
export type ToSub =
  | { t: 'window'; fromNs: number; toNs: number; collectFromNs: number; collectToNs: number }
  | { t: 'progress' }
  | { t: 'finish' };

/** Subscriber → orchestrator: how far it got (market localtime of the newest tick received). */
export interface ProgressMsg {
  t: 'progress';
  maxLocaltime: number;
  received: number;
  /** Worst end-to-end latency (µs) of the ticks received since the previous progress message (all ticks, window or not). */
  recentMaxE2eUs: number;
  /** Ticks received since the previous progress message. */
  recentReceived: number;
}

export type ToRaw =
  | { t: 'go'; fromNs: number; toNs: number; stopNs: number }
  | { t: 'finish' };

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i]!;
    sy += ys[i]!;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
