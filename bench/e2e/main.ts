/**
 * End-to-end latency benchmark of mdhub (issue 11). One invocation, on this machine:
 *
 *   1. raw baseline: a PUB process and a SUB process, the same tick payloads (gateway-sim Tape ticks
 *      encoded with TickEncoder, topic tick.<EX>.<sym>.) at the same rate and pacing as the hub run;
 *      then the subscriber ceilings (raw SUB + decodeTick, and @mdhub/client) with a flat-out publisher;
 *   2. the hub (`mdhub start` code path) with N simulated sources (child processes), cleansing and
 *      arbitration as configured by default, a measuring @mdhub/client subscriber and a pyzmq subscriber:
 *      e2e latency from the gateway's hand-over to the subscriber's callback, per-stage breakdown,
 *      rates from /metrics, loss against the ground-truth tape, publish backlog trend, CPU and RSS;
 *   3. the market-open storm: every instrument on every source in the same millisecond, repeated
 *      (a bench gateway plugin, bench/e2e/storm-plugin.ts); idle CPU of the hub before the first burst;
 *   4. a capacity sweep of inbound rates (fresh hub per step, subscriber on a subset of instruments,
 *      sources with a pre-rendered tape so that they cost what a gateway costs).
 *
 *   npm run bench:e2e [-- --quick] [--sources 3] [--instruments 5000] [--rate 20000] [--duration S]
 *                        [--transport ipc|tcp] [--plot docs/img/latency-cdf.svg] [--cpu-prof]
 *                        [--sweep 60000,90000,...] [--sweep-sources prerendered|live] [--no-sweep]
 *                        [--no-storm] [--no-python] [--no-wide-tick] [--keep] [--dashboard]
 *
 * Progress goes to stderr; the last line on stdout is one JSON object.
 */
import { execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import ts from 'typescript';
import type { ReadyInfo } from '@mdhub/core';
import { TradingCalendar, listProducts, loadMarketData } from '@mdhub/core';
import { stateKey } from '@mdhub/protocol';
import { Tape, buildUniverse } from '@mdhub/gateway-sim';
import type { SimInstrument } from '@mdhub/gateway-sim';
import type { Histogram } from 'hdr-histogram-js';
import type { ClockReport, HistSummary, ProgressMsg, RawPubResult, RawSubResult, ReadyMsg, SubResult, ToRaw, ToSub } from './common.js';
import {
  BENCH_DIR, CLI, MARKET_SEED, ROOT, SIM_ANCHOR, cdfPoints, decodeHist, epochMinusMonoUs, monoNs, realtimeMinusMonoUs,
  sleep, slope, summarize,
} from './common.js';
import type { GatewaySpec, HubRun, Sample, WindowStats } from './hubrun.js';
import { startHub, startSampler, waitSubscribed, windowStats } from './hubrun.js';
import { cdfSvg } from './plot.js';
import type { SchedFigures } from './sched.js';
import { schedReport, schedSnapshot } from './sched.js';
import { summarizeProfile } from './profile.js';
import { openDashboard } from './dashboard.js';
import type { OpenDashboard } from './dashboard.js';
import type { ProfileSummary } from './profile.js';
import { forkTs, freePort, installCleanup, killAll, spawnTracked, trackDir, waitExit, waitMessage } from './procs.js';

// ------------------------------------------------------------------------------------------------
// Options

const { values: argv } = parseArgs({
  args: process.argv.slice(2),
  options: {
    quick: { type: 'boolean', default: false },
    sources: { type: 'string' },
    instruments: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    transport: { type: 'string' },
    plot: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
    sweep: { type: 'string' },
    'no-sweep': { type: 'boolean', default: false },
    'no-storm': { type: 'boolean', default: false },
    'no-python': { type: 'boolean', default: false },
    'storm-bursts': { type: 'string' },
    /** Capacity sweep sources: `prerendered` (default: the tape is simulated before the step) or `live`. */
    'sweep-sources': { type: 'string' },
    keep: { type: 'boolean', default: false },
    /** Main run with the dashboard open on its overview page in Chromium (the live views against the tick path). */
    dashboard: { type: 'boolean', default: false },
    /** Main run: the measuring subscriber takes every tick even above its ceiling. */
    all: { type: 'boolean', default: false },
    /**
     * Main run without the wide per-tick subscriber: the hub then sends per-tick messages only for the narrow
     * subscriber's ten instruments (it sends only what someone takes), as a hub whose wide subscribers all
     * take the batch stream.
     */
    'no-wide-tick': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
  strict: true,
});

const QUICK = argv.quick === true;
const DASHBOARD = argv.dashboard === true;
/** Live messages the dashboard's page received during the main run (with --dashboard). */
let dashboardMessages: number | null = null;
const SOURCES = Number(argv.sources ?? 3);
const INSTRUMENTS = Number(argv.instruments ?? 5000);
const TARGET_RATE = Number(argv.rate ?? 20_000);
const DURATION_S = Number(argv.duration ?? (QUICK ? 5 : 20));
const TRANSPORT: 'ipc' | 'tcp' = argv.transport === 'tcp' ? 'tcp' : 'ipc';
const OUT_DIR = path.resolve(ROOT, argv.out ?? 'bench-out');
const SWEEP: number[] = argv['no-sweep'] ? [] : (argv.sweep ?? (QUICK ? '30000,90000' : '15000,30000,60000,90000,120000,150000,180000,240000'))
  .split(',').map(Number).filter((n) => n > 0);
if (argv['sweep-sources'] !== undefined && !['prerendered', 'live'].includes(argv['sweep-sources'])) {
  throw new Error(`--sweep-sources must be prerendered or live, not ${argv['sweep-sources']}`);
}
const SWEEP_PRERENDER = argv['sweep-sources'] !== 'live';
const STORM_BURSTS = Number(argv['storm-bursts'] ?? (QUICK ? 3 : 8));
const P = QUICK
  ? { rawWarmMs: 1000, rawDurMs: 3000, ceilMs: 2000, warmMs: 2000, maxWarmMs: 6000, tailMs: 1000, maxTailMs: 3000, sweepWarmMs: 1500, sweepMaxWarmMs: 4000, sweepDurMs: 2500, stormFirstAtMs: 3500, stormPeriodMs: 1000, bothCeilings: false }
  : { rawWarmMs: 2000, rawDurMs: 10_000, ceilMs: 3000, warmMs: 3000, maxWarmMs: 20_000, tailMs: 1500, maxTailMs: 10_000, sweepWarmMs: 2000, sweepMaxWarmMs: 20_000, sweepDurMs: 5000, stormFirstAtMs: 6000, stormPeriodMs: 1000, bothCeilings: true };
const LATENCIES = [
  { medianMs: 2, sigma: 0.6, minMs: 0.5 },
  { medianMs: 3, sigma: 0.8, minMs: 0.5 },
  { medianMs: 5, sigma: 1.0, minMs: 0.5 },
];

const t0 = Date.now();
const notes: string[] = [];
const log = (msg: string): void => {
  process.stderr.write(`bench:e2e [${((Date.now() - t0) / 1000).toFixed(1)}s] ${msg}\n`);
};
const r1 = (x: number): number => Math.round(x * 10) / 10;
const r2 = (x: number): number => Math.round(x * 100) / 100;

installCleanup(argv.keep === true);
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-bench-e2e-'));
trackDir(TMP);

// ------------------------------------------------------------------------------------------------
// Preparation: built packages, the storm plugin as plain JS, the tape's snapshot rate

function ensureBuilt(): void {
  if (fs.existsSync(CLI) && fs.existsSync(path.join(ROOT, 'packages/gateway-sim/dist/index.js'))) return;
  log('packages not built: running tsc -b');
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-b', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
}

/** Transpiles bench/e2e/storm-plugin.ts to bench-out/storm-plugin.mjs (inside the repo: packages resolve). */
function buildStormPlugin(): string {
  const src = fs.readFileSync(path.join(BENCH_DIR, 'storm-plugin.ts'), 'utf8');
  const out = ts.transpileModule(src, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
  });
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const file = path.join(OUT_DIR, 'storm-plugin.mjs');
  fs.writeFileSync(file, out.outputText);
  return file;
}

const calendar = new TradingCalendar(loadMarketData());
const ANCHOR_MS = Date.parse(SIM_ANCHOR);
const TRADING_DAY = calendar.tradingDayAt('commodity_day', ANCHOR_MS) ?? calendar.tradingDayOnOrAfter('2026-11-25');

function universeOf(n: number): SimInstrument[] {
  return buildUniverse({ seed: MARKET_SEED, tradingDay: TRADING_DAY, products: listProducts(), instruments: n });
}

/** Tape snapshots per market second for this universe after the anchor (= published ticks per second at clockRate 1). */
function tapeRatePerMarketSecond(universe: SimInstrument[]): number {
  const tape = new Tape(universe, { seed: MARKET_SEED, calendar, startMs: ANCHOR_MS });
  tape.fastForward(ANCHOR_MS + 2000);
  const n = tape.fastForward(ANCHOR_MS + 32_000);
  return n / 30;
}

// ------------------------------------------------------------------------------------------------
// Helpers around children

const isMsg = <T extends { t: string }>(t: T['t']) => (m: unknown): T | null =>
  (typeof m === 'object' && m !== null && (m as { t?: unknown }).t === t ? (m as T) : null);

function tell(p: ChildProcess, m: ToSub | ToRaw): void {
  if (p.connected) p.send(m);
}

function histSummary(b64: string): { h: Histogram; s: HistSummary } {
  const h = decodeHist(b64);
  return { h, s: summarize(h) };
}

/** Real ms between two deliveries of a sweep source (gateway-sim's `turnMs`). */
const SWEEP_TURN_MS = 5;

/** A stretch of tape every source simulates before it delivers (gateway-sim's `prerender`), market epoch ms. */
interface Prerender { fromMs: number; untilMs: number }

function simGateways(n: number, instruments: number, prerender?: Prerender): GatewaySpec[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `sim-${String.fromCharCode(97 + i)}`,
    plugin: '@mdhub/gateway-sim',
    config: {
      market: { seed: MARKET_SEED, instruments }, latency: LATENCIES[i % LATENCIES.length]!,
      // pre-rendered sources also deliver in turns of ≥ SWEEP_TURN_MS (fewer link messages: syscalls are dear here)
      ...(prerender ? { prerender, turnMs: SWEEP_TURN_MS } : {}),
    },
  }));
}

/**
 * The stretch for a sweep step: the longest warm-up, the window and the tail, starting when every source
 * should have simulated it: the hub's start, plus ~25 µs per copy (three sources simulating at once on two
 * shared cores measured 20 µs). The hub's market clock starts at SIM_ANCHOR.
 */
function sweepPrerender(rate: number, tapeRate: number): Prerender {
  const spanMs = P.sweepMaxWarmMs + P.sweepDurMs + P.tailMs + 1500;
  const copies = (spanMs / 1000) * rate * tapeRate;
  const leadMs = 4000 + copies * 0.025;
  const fromMs = ANCHOR_MS + Math.round(leadMs * rate);
  return { fromMs, untilMs: fromMs + Math.round(spanMs * rate) };
}

interface SubHandle {
  proc: ChildProcess;
  keysFile: string;
  ready: Promise<ReadyMsg>;
}

function startSubscriber(label: string, endpoint: string, patterns: string[], storm = false, readyAfterMs?: number, cpuProfDir?: string, batch: 'auto' | 'off' = 'auto'): SubHandle {
  const keysFile = path.join(TMP, `keys-${label}.f64`);
  const args = ['--endpoint', endpoint, '--keys', keysFile, '--batch', batch, ...patterns.flatMap((p) => ['--pattern', p])];
  if (storm) args.push('--storm');
  if (readyAfterMs !== undefined) args.push('--ready-after', String(readyAfterMs));
  const proc = forkTs('subscriber.ts', args, process.env, cpuProfDir);
  return { proc, keysFile, ready: waitMessage(proc, `subscriber ${label} ready`, isMsg<ReadyMsg>('ready'), 60_000) };
}

async function finishSubscriber(s: SubHandle): Promise<SubResult> {
  const res = waitMessage(s.proc, 'subscriber result', isMsg<SubResult>('sub-result'), 30_000);
  tell(s.proc, { t: 'finish' });
  const r = await res;
  await waitExit(s.proc, 5000);
  return r;
}

interface PyResult {
  p50_us: number;
  p99_us: number;
  p999_us: number;
  max_us: number;
  received: number;
  in_window: number;
  rate_per_s: number;
  offset_us: number;
  offset_read_gap_us: number;
  negative: number;
}

/** fromNs 0: the window is given later with `setWindow` (over the subscriber's stdin). */
function startPython(endpoint: string, fromNs: number, toNs: number, stopNs: number, prefixes: string[]): { proc: ChildProcess; result: Promise<PyResult | null>; ready: Promise<void>; setWindow: (fromNs: number, toNs: number, stopNs: number) => void } {
  const proc = spawnTracked('/usr/bin/python3', [path.join(BENCH_DIR, 'py_sub.py'), endpoint, String(Math.round(fromNs)), String(Math.round(toNs)), String(Math.round(stopNs)), ...prefixes], { stdin: fromNs === 0 });
  // A Python process that already died (import or zmq error) must not take the bench down with EPIPE.
  proc.stdin?.on('error', () => {});
  const setWindow = (f: number, t: number, st: number): void => {
    if (proc.exitCode === null && proc.signalCode === null) proc.stdin?.end(`${Math.round(f)} ${Math.round(t)} ${Math.round(st)}\n`);
  };
  let out = '';
  let err = '';
  let onReady: () => void = () => {};
  const ready = new Promise<void>((r) => { onReady = r; });
  proc.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('"ready"')) onReady();
  });
  proc.once('exit', () => onReady());
  proc.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  const result = new Promise<PyResult | null>((resolve) => {
    // 'close': stdout fully read ('exit' can come before its last bytes)
    proc.once('close', () => {
      const line = out.trim().split('\n').filter((l) => l.includes('"result"')).pop();
      if (!line) {
        log(`python subscriber gave no result: ${err.slice(-500)}`);
        resolve(null);
        return;
      }
      resolve(JSON.parse(line) as PyResult);
    });
  });
  return { proc, result, ready, setWindow };
}

/** The pyzmq subscriber's result; one that has not finished `ms` after it should have is stopped and reported missing. */
async function pyResultWithin(py: ReturnType<typeof startPython>, ms: number): Promise<PyResult | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => {
      notes.push(`python subscriber: no result ${ms / 1000} s after its window; stopped`);
      py.proc.kill('SIGKILL');
      resolve(null);
    }, ms);
  });
  const r = await Promise.race([py.result, late]);
  clearTimeout(timer);
  return r;
}

// ------------------------------------------------------------------------------------------------
// Loss against the ground-truth tape

interface LossReport {
  expected: number;
  lost: number;
  duplicates: number;
  window_market_ms: [number, number];
  examples: string[];
}

function lossAgainstTape(ready: ReadyInfo, universe: SimInstrument[], fromNs: number, toNs: number, keysFile: string, subset: Set<number> | null): LossReport {
  const { anchorMs, monoRefNs, rate } = ready.clock;
  const market = (ns: number): number => anchorMs + ((ns - monoRefNs) / 1e6) * rate;
  const mFrom = Math.ceil(market(fromNs));
  const mTo = Math.floor(market(toNs));
  const buf = fs.readFileSync(keysFile);
  const keys = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  const got = new Set<number>();
  let duplicates = 0;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (got.has(k)) duplicates++;
    else got.add(k);
  }
  const tape = new Tape(universe, { seed: MARKET_SEED, calendar, startMs: anchorMs });
  tape.fastForward(mFrom - 1);
  let expected = 0;
  let lost = 0;
  const examples: string[] = [];
  for (let t = mFrom - 1; t < mTo;) {
    const next = Math.min(t + 1000, mTo);
    for (const s of tape.advance(next)) {
      if (subset && !subset.has(s.index)) continue;
      expected++;
      if (!got.has(stateKey(s.tick))) {
        lost++;
        if (examples.length < 5) examples.push(`${s.tick.symbol}.${s.tick.exchange}@${s.emitMs}`);
      }
    }
    t = next;
  }
  return { expected, lost, duplicates, window_market_ms: [mFrom, mTo], examples };
}

// ------------------------------------------------------------------------------------------------
// Phase 1: raw baseline and subscriber ceilings

interface RawOutcome {
  lat: HistSummary;
  latHist: Histogram;
  decodeNsP50: number;
  pub: RawPubResult;
  sub: RawSubResult;
}

/**
 * One raw phase. With `python`, the pyzmq subscriber also takes the raw publisher's ticks, so the raw hop is
 * measured with the same consumers on the machine as the hub run (which always carries it unless --no-python).
 */
async function rawPhase(clockRate: number, mode: 'paced' | 'blast', warmMs: number, durMs: number, subscriber: 'raw' | 'client', python = false): Promise<{ raw: RawOutcome | null; client: SubResult | null; pubRate: number; python: PyResult | null; sched: Record<string, SchedFigures> }> {
  const pub = forkTs('raw.ts', ['pub', '--instruments', String(INSTRUMENTS), '--rate', String(clockRate), '--mode', mode, '--anchor', SIM_ANCHOR]);
  const pr = await waitMessage(pub, 'raw pub ready', isMsg<ReadyMsg>('ready'), 60_000);
  const endpoint = pr.endpoint!;
  let sub: ChildProcess;
  let client: SubHandle | null = null;
  if (subscriber === 'raw') {
    sub = forkTs('raw.ts', ['sub', '--endpoint', endpoint, '--mode', mode]);
    await waitMessage(sub, 'raw sub ready', isMsg<ReadyMsg>('ready'), 60_000);
  } else {
    client = startSubscriber('ceiling', endpoint, ['*'], false, 300, undefined, 'off'); // the per-tick client's ceiling (a raw publisher sends no heartbeat, so no batch stream)
    sub = client.proc;
    await client.ready;
  }
  await sleep(300); // subscription reaches the publisher
  const py = python ? startPython(endpoint, 0, 0, 0, ['tick.']) : null;
  if (py) await py.ready;
  const now = monoNs();
  const fromNs = now + warmMs * 1e6;
  const toNs = fromNs + durMs * 1e6;
  const stopNs = toNs + 0.3e9;
  py?.setWindow(fromNs, toNs, stopNs + 0.2e9);
  tell(pub, { t: 'go', fromNs, toNs, stopNs });
  if (client) tell(sub, { t: 'window', fromNs, toNs, collectFromNs: 0, collectToNs: 0 });
  else tell(sub, { t: 'go', fromNs, toNs, stopNs });
  const roles: Record<string, number[]> = {
    raw_pub: pub.pid !== undefined ? [pub.pid] : [], raw_sub: sub.pid !== undefined ? [sub.pid] : [],
    ...(py?.proc.pid !== undefined ? { python: [py.proc.pid] } : {}),
  };
  await sleep((fromNs - monoNs()) / 1e6);
  const schedFrom = schedSnapshot(Object.values(roles).flat());
  const schedFromNs = monoNs();
  await sleep((toNs - monoNs()) / 1e6);
  const sched = schedReport(schedFrom, schedSnapshot(Object.values(roles).flat()), (monoNs() - schedFromNs) / 1e9, roles, -1);
  await sleep((stopNs - monoNs()) / 1e6 + 300);
  const pyRes = py ? await pyResultWithin(py, 10_000) : null;
  const pubRes = waitMessage(pub, 'raw pub result', isMsg<RawPubResult>('pub-result'));
  tell(pub, { t: 'finish' });
  const pubResult = await pubRes;
  if (pubResult.sendFailed > 0) log(`raw publisher (${mode}): ${pubResult.sendFailed} sends refused by libzmq`);
  let raw: RawOutcome | null = null;
  let clientRes: SubResult | null = null;
  if (client) {
    clientRes = await finishSubscriber(client);
  } else {
    const subRes = waitMessage(sub, 'raw sub result', isMsg<RawSubResult>('raw-result'));
    tell(sub, { t: 'finish' });
    const s = await subRes;
    const l = histSummary(s.lat);
    raw = { lat: l.s, latHist: l.h, decodeNsP50: decodeHist(s.decode).getValueAtPercentile(50), pub: pubResult, sub: s };
  }
  await Promise.all([waitExit(pub, 3000), waitExit(sub, 3000)]);
  return { raw, client: clientRes, pubRate: pubResult.ratePerS, python: pyRes, sched };
}

// ------------------------------------------------------------------------------------------------
// Phase 2 and 4: a measured hub run on simulated sources

interface HubMeasure {
  label: string;
  clockRate: number;
  stats: WindowStats | null;
  sub: SubResult;
  e2e: { h: Histogram; s: HistSummary };
  link: HistSummary;
  hub: HistSummary;
  pub2sub: HistSummary;
  decodeNsP50: number;
  loss: LossReport;
  python: PyResult | null;
  e2eTrendUsPerS: number;
  backlogGrowing: boolean;
  profiles: Array<ProfileSummary & { role: string }>;
  warm: { settled: boolean; seconds: number; lastMaxMs: number };
  hubClock: ReadyInfo['clock'];
  /** Sources with a pre-rendered tape: the stretch's end, and whether it covered the window and tail. */
  prerender: { sources: number; real_s_max: number; late_s_max: number; until_market_ms_min: number; covered: boolean } | null;
  /** The other subscribers of the run, each measured the same way as the main one. */
  extras: Array<{ label: string; sub: SubResult; e2e: HistSummary; loss: LossReport }>;
  /** Per role, time on a CPU and time runnable without one, over the window (see sched.ts). */
  sched: Record<string, SchedFigures>;
}

/** A subscriber that runs beside the measuring one (issue 21's client comparison). */
interface ExtraSubscriber {
  label: string;
  patterns: string[];
  batch: 'auto' | 'off';
  /** Universe indices it takes (for the loss check); null: all. */
  subset: Set<number> | null;
}

/** Worst latency of a second at which the start-up transient counts as over (steady bursts here: 30–150 ms). */
const SETTLED_MAX_E2E_US = 250_000;

/**
 * Warm-up: at least `minMs`, then until the measuring subscriber's worst latency stayed under
 * SETTLED_MAX_E2E_US for two consecutive seconds (the start-up transient is over: sources building their
 * tape, first sight of every instrument, JIT, the pyzmq subscriber's start), at most `maxMs`.
 */
async function settle(sub: ChildProcess, minMs: number, maxMs: number): Promise<{ settled: boolean; seconds: number; lastMaxMs: number }> {
  const t0 = monoNs();
  const progress = async (): Promise<ProgressMsg> => {
    const pr = waitMessage(sub, 'subscriber progress', isMsg<ProgressMsg>('progress'), 5000);
    tell(sub, { t: 'progress' });
    return pr;
  };
  await sleep(Math.max(0, minMs - 2000));
  await progress(); // forget the start: two good seconds from here make at least minMs
  let good = 0;
  let last = 0;
  for (;;) {
    await sleep(1000);
    const p = await progress();
    last = p.recentMaxE2eUs;
    good = p.recentReceived > 0 && p.recentMaxE2eUs < SETTLED_MAX_E2E_US ? good + 1 : 0;
    const seconds = (monoNs() - t0) / 1e9;
    if (good >= 2 && seconds * 1000 >= minMs) return { settled: true, seconds, lastMaxMs: last / 1000 };
    if (seconds * 1000 >= maxMs) return { settled: false, seconds, lastMaxMs: last / 1000 };
  }
}

async function measuredHubRun(o: {
  label: string; clockRate: number; universe: SimInstrument[]; patterns: string[]; subset: Set<number> | null;
  warmMs: number; maxWarmMs: number; durMs: number; python: boolean; cpuProf: boolean;
  /** Tape every source simulates before it subscribes (none: live simulation). */
  prerender?: Prerender;
  /** The dashboard open on the overview page for the whole run. */
  dashboard?: boolean;
  /** The measuring subscriber's `batch` option (default auto). */
  batch?: 'auto' | 'off';
  /** Subscribers beside the measuring one, with the same window. */
  extras?: ExtraSubscriber[];
  /** The pyzmq subscriber's topic prefixes (default: the per-tick topics of `patterns`). */
  pythonPrefixes?: string[];
}): Promise<HubMeasure> {
  const port = await freePort();
  const endpoint = `tcp://127.0.0.1:${port}`;
  const profDir = o.cpuProf ? fs.mkdtempSync(path.join(OUT_DIR, `cpuprof-${o.label}-`)) : undefined;
  const sub = startSubscriber(o.label, endpoint, o.patterns, false, undefined, profDir, o.batch ?? 'auto');
  const extras = (o.extras ?? []).map((x) => ({ x, h: startSubscriber(`${o.label}-${x.label}`, endpoint, x.patterns, false, undefined, undefined, x.batch) }));
  const hub = await startHub({
    label: o.label, gateways: simGateways(SOURCES, INSTRUMENTS, o.prerender), clockRate: o.clockRate, linkTransport: TRANSPORT, pubPort: port,
    ...(profDir ? { cpuProfDir: profDir } : {}),
  });
  let stopped = false;
  let dash: OpenDashboard | null = null;
  try {
    await waitSubscribed(hub, SOURCES, o.prerender ? 120_000 : 30_000);
    await sub.ready;
    for (const e of extras) await e.h.ready;
    log(`  ${o.label}: hub pid ${hub.pid} up, sources subscribed, subscriber connected`);
    if (o.dashboard) {
      dash = await openDashboard(hub.ready.http!);
      log(`  ${o.label}: the dashboard is open on the overview page (Chromium, live WebSocket)`);
    }
    const sampler = startSampler(hub, sub.proc.pid ?? null);
    // The pyzmq subscriber starts now, its window comes later on stdin: its own start-up stays in the warm-up.
    let py: ReturnType<typeof startPython> | null = null;
    if (o.python) {
      py = startPython(endpoint, 0, 0, 0, o.pythonPrefixes ?? (o.patterns.includes('*') ? ['tick.'] : o.patterns.map(pyPrefix)));
      if (py.proc.pid !== undefined) sampler.setPy(py.proc.pid);
    }
    const warm = await settle(sub.proc, o.warmMs, o.maxWarmMs);
    if (!warm.settled) notes.push(`${o.label}: not settled after ${r1(warm.seconds)} s of warm-up (worst latency of the last second ${r1(warm.lastMaxMs)} ms); measured anyway`);
    log(`  ${o.label}: warm-up ${r1(warm.seconds)} s${warm.settled ? ' (settled)' : ' (NOT settled)'}, worst latency of its last second ${r1(warm.lastMaxMs)} ms`);
    const fromNs = monoNs() + 0.3e9;
    const toNs = fromNs + o.durMs * 1e6;
    const collectFromNs = fromNs - 1.0e9;
    tell(sub.proc, { t: 'window', fromNs, toNs, collectFromNs, collectToNs: Number.MAX_VALUE });
    for (const e of extras) tell(e.h.proc, { t: 'window', fromNs, toNs, collectFromNs, collectToNs: Number.MAX_VALUE });
    const pyStopNs = toNs + P.tailMs * 1e6;
    py?.setWindow(fromNs, toNs, pyStopNs);
    // Who waited for a core over the window (the kernel's run-queue figures of every process's threads).
    const roles: Record<string, number[]> = {
      hub: [hub.pid], sources: hub.gatewayPids(), subscriber: sub.proc.pid !== undefined ? [sub.proc.pid] : [],
      ...Object.fromEntries(extras.map((e) => [`subscriber_${e.x.label}`, e.h.proc.pid !== undefined ? [e.h.proc.pid] : []])),
      ...(py?.proc.pid !== undefined ? { python: [py.proc.pid] } : {}),
    };
    const allPids = Object.values(roles).flat();
    await sleep((fromNs - monoNs()) / 1e6);
    const schedFrom = schedSnapshot(allPids);
    const schedFromNs = monoNs();
    await sleep((toNs - monoNs()) / 1e6);
    const sched = schedReport(schedFrom, schedSnapshot(allPids), (monoNs() - schedFromNs) / 1e9, roles, hub.pid);
    await sleep(P.tailMs);
    // Tail: until the subscriber has received ticks stamped past the window's end (it may lag), at most maxTailMs.
    const { anchorMs, monoRefNs, rate } = hub.ready.clock;
    const windowEndMarket = anchorMs + ((toNs - monoRefNs) / 1e6) * rate;
    const tailUntil = Date.now() + P.maxTailMs;
    let caughtUp = false;
    while (Date.now() < tailUntil) {
      const pr = waitMessage(sub.proc, 'subscriber progress', isMsg<ProgressMsg>('progress'), 5000);
      tell(sub.proc, { t: 'progress' });
      const p = await pr;
      if (p.maxLocaltime >= windowEndMarket + 500 * rate) {
        caughtUp = true;
        break;
      }
      await sleep(200);
    }
    if (!caughtUp) notes.push(`${o.label}: the subscriber had not caught up with the window's end ${P.maxTailMs / 1000} s after the tail; ticks still in flight count as lost`);
    let prerender: HubMeasure['prerender'] = null;
    if (o.prerender) {
      const recs = hub.logs.filter((r) => r['msg'] === 'tape pre-rendered').map((r) => r['details'] as { until_ms: number; real_ms: number; late_ms: number });
      const untilMin = recs.length > 0 ? Math.min(...recs.map((d) => d.until_ms)) : 0;
      const tailEndMarket = windowEndMarket + (P.tailMs * rate);
      prerender = {
        sources: recs.length, real_s_max: r1(Math.max(0, ...recs.map((d) => d.real_ms)) / 1000), late_s_max: r1(Math.max(0, ...recs.map((d) => d.late_ms)) / 1000),
        until_market_ms_min: untilMin, covered: recs.length === SOURCES && untilMin >= tailEndMarket,
      };
      if (!prerender.covered) notes.push(`${o.label}: the pre-rendered tape did not cover the window and tail (${recs.length} of ${SOURCES} sources reported it); the rest was simulated live`);
    }
    const samples: Sample[] = await sampler.stop();
    if (dash) {
      dashboardMessages = await dash.messages();
      await dash.close();
      dash = null;
    }
    const subRes = await finishSubscriber(sub);
    const extraRes = await Promise.all(extras.map(async (e) => ({ x: e.x, r: await finishSubscriber(e.h) })));
    const pyRes = py ? await pyResultWithin(py, P.maxTailMs + 10_000) : null;
    await hub.stop();
    stopped = true;
    log(`  ${o.label}: hub stopped; comparing with the tape`);
    const stats = windowStats(samples, fromNs, toNs, slope);
    const loss = lossAgainstTape(hub.ready, o.universe, fromNs, toNs, subRes.keysFile, o.subset);
    const ps = subRes.perSecond.filter((x) => x.n > 0);
    const e2eTrend = slope(ps.map((_, i) => i), ps.map((x) => x.e2eMean));
    const third = Math.max(1, Math.floor(ps.length / 3));
    const firstMean = ps.slice(0, third).reduce((a, x) => a + x.e2eMean, 0) / third;
    const lastMean = ps.slice(-third).reduce((a, x) => a + x.e2eMean, 0) / third;
    const queueGrowing = stats !== null && stats.queue_slope_per_s * (o.durMs / 1000) > 1000;
    const latencyGrowing = lastMean > 3 * firstMean && lastMean > 2000;
    const profiles: Array<ProfileSummary & { role: string }> = [];
    if (profDir) {
      // Sources are forked by the hub and inherit its --cpu-prof; the subscriber was started with it.
      // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile; thread 0 is a process's main thread
      const role = (f: string): string => {
        const [pid, thread] = f.split('.').slice(3, 5).map(Number);
        const who = pid === hub.pid ? (thread === 0 ? 'hub main thread' : 'hub worker thread (data plane)') : pid === sub.proc.pid ? 'subscriber' : 'source';
        return who.startsWith('hub') || thread === 0 ? who : `${who} thread ${thread}`;
      };
      for (const f of fs.readdirSync(profDir).filter((x) => x.endsWith('.cpuprofile')).sort()) {
        const sum = summarizeProfile(path.join(profDir, f));
        if (sum.busy_ms >= 50) profiles.push({ role: role(f), ...sum }); // helper threads (tsx's loader, a clock probe) are left out
      }
    }
    return {
      label: o.label, clockRate: o.clockRate, stats, sub: subRes, e2e: histSummary(subRes.e2e), link: histSummary(subRes.link).s,
      hub: histSummary(subRes.hub).s, pub2sub: histSummary(subRes.pub2sub).s, decodeNsP50: decodeHist(subRes.decode).getValueAtPercentile(50),
      loss, python: pyRes, e2eTrendUsPerS: r1(e2eTrend), backlogGrowing: queueGrowing || latencyGrowing, profiles, warm, hubClock: hub.ready.clock, prerender, sched,
      extras: extraRes.map(({ x, r }) => ({ label: x.label, sub: r, e2e: histSummary(r.e2e).s, loss: lossAgainstTape(hub.ready, o.universe, fromNs, toNs, r.keysFile, x.subset) })),
    };
  } finally {
    await dash?.close().catch(() => {});
    if (!stopped) await hub.stop();
  }
}

/** The JSON's `profiles` entry (nothing when no profile was taken): the top `topN` functions of each. */
function profilesJson(profiles: HubMeasure['profiles'], topN: number): { profiles?: unknown[] } {
  if (profiles.length === 0) return {};
  return { profiles: profiles.map((p) => ({ role: p.role, file: path.relative(ROOT, p.file), busy_ms: p.busy_ms, total_ms: p.total_ms, top: p.top.slice(0, topN) })) };
}

function pyPrefix(pattern: string): string {
  const dot = pattern.lastIndexOf('.');
  return `tick.${pattern.slice(dot + 1)}.${pattern.slice(0, dot)}.`;
}

/** Products of the narrow subscriber: liquid contracts of six exchanges (ARCHITECTURE.md, bench:e2e for issue 17). */
const NARROW_PRODUCTS = ['rb', 'au', 'cu', 'm', 'i', 'SR', 'TA', 'IF', 'sc', 'si'];

/** The most active future of each narrow product in the universe: the highest previous-day open interest. */
function narrowInstruments(universe: SimInstrument[]): SimInstrument[] {
  const out: SimInstrument[] = [];
  for (const code of NARROW_PRODUCTS) {
    const best = universe.filter((i) => i.kind === 'future' && i.product.product.toLowerCase() === code.toLowerCase())
      .sort((a, b) => b.pre_open_interest - a.pre_open_interest)[0];
    if (best) out.push(best);
    else notes.push(`narrow subscriber: no ${code} future among the ${universe.length} instruments`);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Phase 3: storm

/** The storm's one-hop baseline: a raw PUB sends every instrument's tick in one loop; a raw SUB times each burst. */
async function rawStorm(): Promise<{ drain_ms_p50: number; drain_ms_max: number; bursts: number; lost: number }> {
  const pub = forkTs('raw.ts', ['pub', '--instruments', String(INSTRUMENTS), '--rate', '1', '--mode', 'storm', '--anchor', SIM_ANCHOR,
    '--bursts', String(STORM_BURSTS), '--period-ms', String(P.stormPeriodMs)]);
  const pr = await waitMessage(pub, 'raw storm pub ready', isMsg<ReadyMsg>('ready'), 60_000);
  const sub = forkTs('raw.ts', ['sub', '--endpoint', pr.endpoint!, '--mode', 'storm']);
  await waitMessage(sub, 'raw storm sub ready', isMsg<ReadyMsg>('ready'), 60_000);
  await sleep(300); // subscription reaches the publisher
  const now = monoNs();
  const stopNs = now + (STORM_BURSTS * P.stormPeriodMs + 500) * 1e6;
  tell(sub, { t: 'go', fromNs: now, toNs: stopNs, stopNs });
  tell(pub, { t: 'go', fromNs: now, toNs: stopNs, stopNs });
  await sleep((stopNs - monoNs()) / 1e6);
  const subRes = waitMessage(sub, 'raw storm sub result', isMsg<RawSubResult>('raw-result'));
  tell(pub, { t: 'finish' });
  tell(sub, { t: 'finish' });
  const s = await subRes;
  await Promise.all([waitExit(pub, 3000), waitExit(sub, 3000)]);
  const bursts = (s.bursts ?? []).filter((b) => b.count > INSTRUMENTS / 10);
  const drains = bursts.map((b) => b.drainMs).sort((a, b) => a - b);
  const perBurst = Math.max(0, ...bursts.map((b) => b.count));
  return {
    drain_ms_p50: drains.length ? r2(drains[Math.floor((drains.length - 1) / 2)]!) : 0,
    drain_ms_max: drains.length ? r2(drains[drains.length - 1]!) : 0,
    bursts: bursts.length,
    lost: bursts.reduce((a, b) => a + (perBurst - b.count), 0),
  };
}

interface StormOutcome {
  burst_ticks: number;
  published_per_burst: number;
  bursts: number;
  drain_ms_p50: number;
  drain_ms_max: number;
  worst_latency_us: number;
  hub_drain_ms_max: number;
  gw_to_last_ms_max: number;
  hub_drain_ms_p50: number;
  lost: number;
  inbound_total: number;
  idle_cpu_pct: number | null;
  idle_window_s: number;
  gateway_clock_offsets_us: number[];
  per_burst: Array<{ count: number; drain_ms: number; hub_drain_ms: number; gw_to_last_ms: number; worst_us: number }>;
}

/**
 * One storm run. `subset`: the measuring subscriber takes only those instruments' ticks (the hub's own drain,
 * as the capacity sweep measures the core: subscribers of a real hub run on other machines); default all.
 */
async function stormRun(pluginFile: string, subset: { patterns: string[]; size: number } | null = null): Promise<StormOutcome> {
  const port = await freePort();
  const endpoint = `tcp://127.0.0.1:${port}`;
  const expected = subset ? subset.size : INSTRUMENTS;
  const sub = startSubscriber(subset ? 'storm-core' : 'storm', endpoint, subset ? subset.patterns : ['*'], true);
  const gateways: GatewaySpec[] = Array.from({ length: SOURCES }, (_, i) => ({
    id: `storm-${String.fromCharCode(97 + i)}`,
    plugin: pluginFile,
    config: { market: { seed: MARKET_SEED, instruments: INSTRUMENTS }, bursts: STORM_BURSTS, firstAtMs: P.stormFirstAtMs, periodMs: P.stormPeriodMs },
  }));
  const hub = await startHub({ label: subset ? 'storm-core' : 'storm', gateways, clockRate: 1, linkTransport: TRANSPORT, pubPort: port });
  let stopped = false;
  try {
    await waitSubscribed(hub, SOURCES);
    await sub.ready;
    const sampler = startSampler(hub, sub.proc.pid ?? null);
    const firstNs = hub.ready.clock.monoRefNs + P.stormFirstAtMs * 1e6;
    const lastNs = firstNs + (STORM_BURSTS - 1) * P.stormPeriodMs * 1e6;
    const idleFrom = monoNs() + 0.3e9;
    const idleTo = firstNs - 0.3e9;
    tell(sub.proc, { t: 'window', fromNs: firstNs - 0.2e9, toNs: lastNs + P.stormPeriodMs * 1e6, collectFromNs: 0, collectToNs: 0 });
    await sleep((lastNs - monoNs()) / 1e6 + Math.min(P.stormPeriodMs, 1000) + 500);
    const samples = await sampler.stop();
    const r = await finishSubscriber(sub);
    await hub.stop();
    stopped = true;
    const idle = idleTo - idleFrom > 0.8e9 ? windowStats(samples, idleFrom, idleTo, slope) : null;
    if (!idle) notes.push('storm: the hub took too long to start for an idle-CPU window before the first burst');
    const all = windowStats(samples, firstNs - 0.2e9, lastNs + P.stormPeriodMs * 1e6, slope);
    const bursts = r.bursts.filter((b) => b.count > expected / 10).sort((a, b) => a.datetime - b.datetime);
    const per = bursts.map((b) => {
      const lastEpochUs = b.lastRecvNs / 1000 + r.clock.offsetUs;
      return {
        count: b.count,
        drain_ms: r2((b.lastRecvNs - b.firstRecvNs) / 1e6),
        hub_drain_ms: r2((b.maxHubPub - b.minHubRecv) / 1000),
        gw_to_last_ms: r2((lastEpochUs - b.minGw) / 1000),
        worst_us: Math.round(b.maxE2eUs),
      };
    });
    const drains = per.map((x) => x.drain_ms).sort((a, b) => a - b);
    const offsets = hub.logs.filter((l) => l['msg'] === 'storm source subscribed')
      .map((l) => Number((l['details'] as Record<string, unknown> | undefined)?.['bench_clock_offset_us'] ?? Number.NaN));
    return {
      burst_ticks: INSTRUMENTS * SOURCES,
      published_per_burst: INSTRUMENTS,
      bursts: per.length,
      drain_ms_p50: drains.length ? drains[Math.floor((drains.length - 1) / 2)]! : 0,
      drain_ms_max: drains.length ? drains[drains.length - 1]! : 0,
      worst_latency_us: Math.max(0, ...per.map((x) => x.worst_us)),
      hub_drain_ms_max: Math.max(0, ...per.map((x) => x.hub_drain_ms)),
      hub_drain_ms_p50: per.length ? [...per.map((x) => x.hub_drain_ms)].sort((a, b) => a - b)[Math.floor((per.length - 1) / 2)]! : 0,
      gw_to_last_ms_max: Math.max(0, ...per.map((x) => x.gw_to_last_ms)),
      lost: STORM_BURSTS * expected - per.reduce((a, x) => a + x.count, 0),
      inbound_total: all ? Math.round(all.inbound_per_s * all.seconds) : 0,
      idle_cpu_pct: idle ? idle.core_cpu_pct : null,
      idle_window_s: idle ? idle.seconds : 0,
      gateway_clock_offsets_us: offsets,
      per_burst: per,
    };
  } finally {
    if (!stopped) await hub.stop();
  }
}

// ------------------------------------------------------------------------------------------------

function clockSpread(reports: Array<{ name: string; offsetUs: number }>): { spread_us: number; offsets_us: Record<string, number> } {
  const vals = reports.filter((r) => Number.isFinite(r.offsetUs));
  const base = vals[0]?.offsetUs ?? 0;
  const offsets: Record<string, number> = {};
  for (const r of vals) offsets[r.name] = r1(r.offsetUs - base);
  const v = vals.map((r) => r.offsetUs);
  return { spread_us: v.length ? r1(Math.max(...v) - Math.min(...v)) : 0, offsets_us: offsets };
}

async function main(): Promise<void> {
  ensureBuilt();
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const pluginFile = buildStormPlugin();
  const universe = universeOf(INSTRUMENTS);
  const tapeRate = tapeRatePerMarketSecond(universe);
  const clockRate = TARGET_RATE / tapeRate;
  const cores = os.cpus().length;
  log(`${INSTRUMENTS} instruments: ${tapeRate.toFixed(0)} tape snapshots per market second → clockRate ${clockRate.toFixed(3)} for ${TARGET_RATE} published/s; ${SOURCES} sources, link ${TRANSPORT}, ${cores} cores${QUICK ? ', quick' : ''}`);
  const orchestratorClock: ClockReport = { offsetUs: epochMinusMonoUs(), realtimeOffsetUs: realtimeMinusMonoUs(), pid: process.pid };

  // 1. raw baseline
  const withPython = argv['no-python'] !== true;
  log(`raw baseline: PUB → SUB${withPython ? ' (and the pyzmq subscriber, as in the hub run)' : ''}, tape ticks at clockRate ${clockRate.toFixed(3)}, ${P.rawDurMs / 1000} s`);
  const rawRun = await rawPhase(clockRate, 'paced', P.rawWarmMs, P.rawDurMs, 'raw', withPython);
  const raw = rawRun.raw!;
  const rawPython = rawRun.python;
  log(`raw: p50 ${raw.lat.p50} µs, p99 ${raw.lat.p99} µs, ${raw.sub.ratePerS.toFixed(0)} msg/s${rawPython ? `; pyzmq on the raw hop p50 ${rawPython.p50_us} µs, p99 ${rawPython.p99_us} µs` : ''}`);
  log(`raw phase run-queue wait (ms per s waiting for a core / ms per s on one): ${Object.entries(rawRun.sched).map(([k, v]) => `${k} ${v.wait_ms_per_s}/${v.run_ms_per_s}`).join(', ')}`);
  let rawCeiling: number | null = null;
  let rawCeilingPub: number | null = null;
  if (P.bothCeilings) {
    const c = await rawPhase(clockRate, 'blast', 500, P.ceilMs, 'raw');
    rawCeiling = Math.round(c.raw!.sub.ratePerS);
    rawCeilingPub = Math.round(c.pubRate);
    log(`raw SUB ceiling (zmq SUB + decodeTick): ${rawCeiling} msg/s (publisher sent ${rawCeilingPub}/s)`);
  }
  const cc = await rawPhase(clockRate, 'blast', 500, P.ceilMs, 'client');
  let clientCeiling = Math.round(cc.client!.inWindow / (P.ceilMs / 1000));
  log(`@mdhub/client subscriber ceiling: ${clientCeiling} ticks/s (publisher sent ${Math.round(cc.pubRate)}/s)`);
  if (argv.all !== true && TARGET_RATE > 0.6 * clientCeiling) {
    // It decides whether the main run's subscribers take every instrument: one slow moment of the machine
    // must not make that choice, so a low ceiling is measured once more and the better figure kept.
    const again = await rawPhase(clockRate, 'blast', 500, P.ceilMs, 'client');
    const second = Math.round(again.client!.inWindow / (P.ceilMs / 1000));
    log(`@mdhub/client subscriber ceiling, measured again (the first was below ${Math.round(TARGET_RATE / 0.6)}/s): ${second} ticks/s`);
    notes.push(`@mdhub/client ceiling measured twice (${clientCeiling}, ${second} ticks/s); the higher one counts`);
    clientCeiling = Math.max(clientCeiling, second);
  }

  // 2. the hub at the target rate. The measuring subscriber takes every tick unless that would make it
  // the bottleneck (target above 60 % of its own ceiling): then every 10th instrument (Python too).
  const subsetIdx = new Set<number>();
  for (let i = 0; i < universe.length; i += 10) subsetIdx.add(i);
  const subsetPatterns = [...subsetIdx].map((i) => `${universe[i]!.symbol}.${universe[i]!.exchange}`);
  // The per-tick wide subscriber takes every 10th instrument when every tick would make it the bottleneck;
  // batched subscribers take every instrument whatever the per-tick ceiling.
  const mainOnSubset = argv.all !== true && TARGET_RATE > 0.6 * clientCeiling;
  if (mainOnSubset) notes.push(`main run: target ${TARGET_RATE}/s is above 60 % of the @mdhub/client per-tick ceiling (${clientCeiling}/s): the wide per-tick subscriber takes every 10th instrument (${subsetIdx.size})`);
  // Four subscribers at once (issue 21): the measuring one on `*` through the batch stream (the client's
  // default for wide patterns), a wide one on the per-tick topics, a narrow one on ten liquid instruments of
  // different exchanges, and the pyzmq subscriber on the batch stream.
  const narrow = narrowInstruments(universe);
  const WIDE_TICK = argv['no-wide-tick'] !== true;
  if (!WIDE_TICK) notes.push('main run without the wide per-tick subscriber (--no-wide-tick): per-tick messages go only to the narrow subscriber');
  const extras: ExtraSubscriber[] = [
    ...(WIDE_TICK ? [{ label: 'wide-tick', patterns: mainOnSubset ? subsetPatterns : ['*'], batch: 'off' as const, subset: mainOnSubset ? subsetIdx : null }] : []),
    { label: 'narrow', patterns: narrow.map((i) => `${i.symbol}.${i.exchange}`), batch: 'auto', subset: new Set(narrow.map((i) => i.index)) },
  ];
  log(`hub run: ${SOURCES} gateway-sim sources × ${INSTRUMENTS} instruments, clockRate ${clockRate.toFixed(3)}, ${DURATION_S} s measured; subscribers: wide batched (Node, pyzmq), wide per-tick, narrow (${narrow.map((i) => i.symbol).join(' ')})`);
  const main = await measuredHubRun({
    label: 'main', clockRate, universe, patterns: ['*'], subset: null, warmMs: P.warmMs, maxWarmMs: P.maxWarmMs, durMs: DURATION_S * 1000,
    python: withPython, cpuProf: argv['cpu-prof'] === true, dashboard: DASHBOARD, batch: 'auto', extras, pythonPrefixes: ['batch.'],
  });
  const extra = (label: string): HubMeasure['extras'][number] => main.extras.find((x) => x.label === label)!;
  log(`hub: wide batched e2e p50 ${main.e2e.s.p50} µs p99 ${main.e2e.s.p99} µs; wide per-tick p50 ${WIDE_TICK ? extra('wide-tick').e2e.p50 : '-'} µs; narrow p50 ${extra('narrow').e2e.p50} µs; pyzmq batched p50 ${main.python?.p50_us ?? '-'} µs; published ${main.stats?.published_per_s}/s inbound ${main.stats?.inbound_per_s}/s; lost ${main.loss.lost}/${main.loss.expected}; core CPU ${main.stats?.core_cpu_pct}%`);
  log(`run-queue wait over the window (ms per s waiting for a core / ms per s on one): ${Object.entries(main.sched).map(([k, v]) => `${k} ${v.wait_ms_per_s}/${v.run_ms_per_s}`).join(', ')}`);

  // 3. storm
  let storm: StormOutcome | null = null;
  let stormRaw: Awaited<ReturnType<typeof rawStorm>> | null = null;
  let stormCore: StormOutcome | null = null;
  if (argv['no-storm'] !== true) {
    stormRaw = await rawStorm();
    log(`storm, raw hop (${INSTRUMENTS} messages in one loop, ${STORM_BURSTS} bursts): drain p50 ${stormRaw.drain_ms_p50} ms, max ${stormRaw.drain_ms_max} ms, lost ${stormRaw.lost}`);
    log(`storm: ${INSTRUMENTS} instruments × ${SOURCES} sources in one millisecond, ${STORM_BURSTS} bursts every ${P.stormPeriodMs} ms`);
    storm = await stormRun(pluginFile);
    log(`storm: drain p50 ${storm.drain_ms_p50} ms, max ${storm.drain_ms_max} ms, worst ${storm.worst_latency_us} µs, lost ${storm.lost}; idle CPU ${storm.idle_cpu_pct}%`);
    if (!QUICK) {
      stormCore = await stormRun(pluginFile, { patterns: subsetPatterns, size: subsetIdx.size });
      log(`storm, core (subscriber on every 10th instrument): in-hub drain p50 ${stormCore.hub_drain_ms_p50} ms, max ${stormCore.hub_drain_ms_max} ms, worst ${stormCore.worst_latency_us} µs, lost ${stormCore.lost}`);
    }
  }

  // 4. capacity sweep, measuring subscriber on every 10th instrument
  const p99Limit = raw.lat.p99 > 2500 ? 2 * raw.lat.p99 : 2500;
  if (raw.lat.p99 > 2500) notes.push(`raw hop p99 ${raw.lat.p99} µs > 2.5 ms on this run: the p99 limit becomes 2 × raw p99 = ${p99Limit} µs`);
  const sweep: Array<Record<string, unknown>> = [];
  let capacity = 0;
  for (const inbound of SWEEP) {
    const rate = inbound / SOURCES / tapeRate;
    const stepS = (P.sweepMaxWarmMs + P.sweepDurMs + P.tailMs) / 1000 + 3;
    if (QUICK && (Date.now() - t0) / 1000 + stepS > 56) {
      notes.push(`quick: sweep step ${inbound}/s skipped to stay within 60 s`);
      log(`sweep: ${inbound}/s skipped (quick time budget)`);
      break;
    }
    log(`sweep: ${inbound} inbound/s target (clockRate ${rate.toFixed(2)}), subscriber on ${subsetIdx.size} instruments`);
    const m = await measuredHubRun({
      label: `sweep${inbound}`, clockRate: rate, universe, patterns: subsetPatterns, subset: subsetIdx, warmMs: P.sweepWarmMs, maxWarmMs: P.sweepMaxWarmMs,
      durMs: P.sweepDurMs, python: false, cpuProf: argv['cpu-prof'] === true,
      // A late start or a tail longer than planned leaves the end to the live simulation: prerender_covered says so.
      ...(SWEEP_PRERENDER ? { prerender: sweepPrerender(rate, tapeRate) } : {}),
    });
    const measured = m.stats?.inbound_per_s ?? 0;
    const pass = m.e2e.s.p99 <= p99Limit && !m.backlogGrowing && m.loss.lost === 0 && (m.stats?.dropped ?? 0) === 0 && m.sub.inWindow > 0;
    const generatorLimited = measured < 0.85 * inbound;
    sweep.push({
      target_inbound_per_s: inbound, inbound_per_s: measured, produced_per_s: m.stats?.produced_per_s ?? null, published_per_s: m.stats?.published_per_s ?? 0,
      e2e_p50_us: m.e2e.s.p50, e2e_p99_us: m.e2e.s.p99, hub_p99_us: m.hub.p99, link_p99_us: m.link.p99, lost: m.loss.lost,
      expected: m.loss.expected, queue_slope_per_s: m.stats?.queue_slope_per_s ?? null, queue_max: m.stats?.queue_max ?? null,
      e2e_trend_us_per_s: m.e2eTrendUsPerS, backlog_growing: m.backlogGrowing, core_cpu_pct: m.stats?.core_cpu_pct ?? null,
      gateways_cpu_pct: m.stats?.gateways_cpu_pct ?? null, machine_busy_pct: m.stats?.machine_busy_pct ?? null,
      source_restarts: m.stats?.restarts ?? null, cleansing_rejected: m.stats?.rejected ?? null, generator_limited: generatorLimited,
      warmup_s: r1(m.warm.seconds), warmup_settled: m.warm.settled,
      prerender_s: m.prerender?.real_s_max ?? null, prerender_late_s: m.prerender?.late_s_max ?? null, prerender_covered: m.prerender?.covered ?? null, pass,
      ...profilesJson(m.profiles, 8),
    });
    log(`sweep ${inbound}: inbound ${measured}/s, p99 ${m.e2e.s.p99} µs, lost ${m.loss.lost}, backlog ${m.backlogGrowing ? 'GROWING' : 'flat'}, core CPU ${m.stats?.core_cpu_pct}%, machine ${m.stats?.machine_busy_pct}% → ${pass ? 'pass' : 'FAIL'}${generatorLimited ? ' (sources could not produce the target)' : ''}`);
    if (!pass) break;
    capacity = Math.max(capacity, measured);
  }
  if (SWEEP.length > 0 && capacity === 0) notes.push(sweep.length === 0 ? 'capacity sweep: every step skipped (quick time budget); capacity not measured' : 'capacity sweep: no step passed');
  if (sweep.some((s) => s['generator_limited'] === true)) notes.push('capacity sweep: at the highest steps the simulated sources (3 processes on 2 shared cores) could not produce the target rate; capacity is then a lower bound set by the load generator');

  // plot
  const svg = cdfSvg(`mdhub e2e vs raw ZeroMQ hop — ${main.stats?.published_per_s ?? '?'} published/s, ${SOURCES} sources, ${INSTRUMENTS} instruments`, [
    { name: `raw PUB→SUB hop (p50 ${raw.lat.p50} µs, p99 ${raw.lat.p99} µs)`, color: '#1f77b4', points: cdfPoints(raw.latHist) },
    { name: `hub e2e gateway→subscriber (p50 ${main.e2e.s.p50} µs, p99 ${main.e2e.s.p99} µs)`, color: '#d62728', points: cdfPoints(main.e2e.h) },
    { name: `in hub (hub_pub_ts − hub_recv_ts, p50 ${main.hub.p50} µs)`, color: '#2ca02c', points: cdfPoints(decodeHist(main.sub.hub)) },
    { name: `link (hub_recv_ts − gw_recv_ts, p50 ${main.link.p50} µs)`, color: '#9467bd', points: cdfPoints(decodeHist(main.sub.link)) },
  ], [`${os.cpus().length} cores, ${os.cpus()[0]?.model ?? ''}`, `bench:e2e${QUICK ? ' --quick' : ''}, ${new Date().toISOString().slice(0, 19)}Z`]);
  const svgFile = path.join(OUT_DIR, 'latency-cdf.svg');
  fs.writeFileSync(svgFile, svg);
  if (argv.plot) {
    const dst = path.resolve(ROOT, argv.plot);
    fs.mkdirSync(path.dirname(dst), { recursive: true });
    fs.copyFileSync(svgFile, dst);
  }

  // clocks
  const clock = clockSpread([
    { name: 'orchestrator', offsetUs: orchestratorClock.offsetUs },
    { name: 'raw_pub_sub', offsetUs: raw.sub.clock.offsetUs },
    { name: 'subscriber', offsetUs: main.sub.clock.offsetUs },
    { name: 'subscriber_worker_thread', offsetUs: main.sub.workerClock?.offsetUs ?? Number.NaN },
    { name: 'python', offsetUs: main.python?.offset_us ?? Number.NaN },
    ...(storm?.gateway_clock_offsets_us ?? []).map((o, i) => ({ name: `storm_gateway_${i}`, offsetUs: o })),
  ]);
  const realtimeVsTimeOrigin = r1(orchestratorClock.realtimeOffsetUs - orchestratorClock.offsetUs);

  const st = main.stats;
  const ratio = raw.lat.p50 > 0 ? r2(main.e2e.s.p50 / raw.lat.p50) : null;
  const wideTick = WIDE_TICK ? extra('wide-tick') : null;
  const narrowRun = extra('narrow');
  const clientSummary = (x: { e2e: HistSummary; sub: SubResult; loss: LossReport }): Record<string, unknown> => ({
    p50_us: x.e2e.p50, p99_us: x.e2e.p99, p999_us: x.e2e.p999, max_us: x.e2e.max, in_window: x.sub.inWindow, gaps: x.sub.gaps,
    lost: x.loss.lost, expected: x.loss.expected, duplicates: x.loss.duplicates,
  });
  const pyRatio = main.python && raw.lat.p50 > 0 ? r2(main.python.p50_us / raw.lat.p50) : null;
  const narrowLimitUs = TARGET_RATE <= 2000 ? 1000 : 2000;
  // The storm at the batched subscriber: p50 over the warm bursts (the first, with every instrument's first sight, excluded).
  const warmDrains = (storm?.per_burst ?? []).slice(1).map((b) => b.drain_ms).sort((a, b) => a - b);
  const mid = warmDrains.length >> 1;
  const stormWarmP50 = warmDrains.length === 0 ? null : r2(warmDrains.length % 2 === 1 ? warmDrains[mid]! : (warmDrains[mid - 1]! + warmDrains[mid]!) / 2);
  const clients = {
    raw_hop_node: { p50_us: raw.lat.p50, p99_us: raw.lat.p99 },
    raw_hop_python: rawPython ? { p50_us: rawPython.p50_us, p99_us: rawPython.p99_us } : null,
    wide_batch_node: { ...clientSummary({ e2e: main.e2e.s, sub: main.sub, loss: main.loss }), stream: 'batch (client option batch: auto)' },
    wide_batch_python: main.python ? { p50_us: main.python.p50_us, p99_us: main.python.p99_us, p999_us: main.python.p999_us, in_window: main.python.in_window } : null,
    wide_tick_node: wideTick ? { ...clientSummary(wideTick), instruments: mainOnSubset ? subsetIdx.size : INSTRUMENTS } : null,
    narrow_node: { ...clientSummary(narrowRun), instruments: narrow.map((i) => `${i.symbol}.${i.exchange}`) },
    storm_batch_drain_ms_p50_warm: stormWarmP50,
  };
  const published = st?.published_per_s ?? 0;
  const targets = {
    e2e_p50_le_2x_raw_p50: { target: '≤ 2 × raw p50', value: ratio, pass: ratio !== null && ratio <= 2 },
    e2e_p99_le_2_5ms: { target: `≤ ${p99Limit} µs`, value: main.e2e.s.p99, pass: main.e2e.s.p99 <= p99Limit },
    nothing_lost_at_20k: { target: `0 lost at ~20k published/s (this run ${published}/s)`, value: main.loss.lost, pass: main.loss.lost === 0 && published >= 18_000 },
    capacity_ge_150k: { target: '≥ 150000 inbound/s', value: capacity, pass: capacity >= 150_000 },
    cleansing_le_2us: { target: '≤ 2 µs per tick (npm run bench:cleansing, not measured here)', value: null, pass: null },
    storm_drain_le_50ms: { target: '15000-tick burst drained ≤ 50 ms', value: storm?.drain_ms_max ?? null, pass: storm ? storm.drain_ms_max <= 50 && storm.burst_ticks >= 15_000 && storm.lost === 0 : null },
    core_rss_le_300mb: { target: '≤ 300 MB with 5000 instruments', value: st?.core_rss_mb ?? null, pass: st ? st.core_rss_mb <= 300 : null },
    wide_batch_p50_le_half_raw_p50: { target: '≤ 0.5 × raw per-tick hop p50 (Node)', value: ratio, pass: ratio !== null && ratio <= 0.5 },
    wide_batch_python_p50_le_half_raw_p50: { target: '≤ 0.5 × raw per-tick hop p50 (Node)', value: pyRatio, pass: pyRatio === null ? null : pyRatio <= 0.5 },
    narrow_p50: { target: `≤ ${narrowLimitUs} µs at ${TARGET_RATE}/s`, value: narrowRun.e2e.p50, pass: narrowRun.e2e.p50 <= narrowLimitUs },
    storm_batch_p50_le_50ms: { target: `${storm?.burst_ticks ?? '-'}-tick storm drained at the wide batched subscriber ≤ 50 ms (p50 of warm bursts)`, value: stormWarmP50, pass: stormWarmP50 === null ? null : stormWarmP50 <= 50 && (storm?.lost ?? 1) === 0 },
    nothing_lost_any_subscriber: { target: '0 lost at every subscriber', value: main.loss.lost + (wideTick?.loss.lost ?? 0) + narrowRun.loss.lost, pass: main.loss.lost + (wideTick?.loss.lost ?? 0) + narrowRun.loss.lost === 0 },
    no_heap_growth_10min: { target: '10-minute soak (not run by bench:e2e)', value: null, pass: null },
  };
  const out = {
    dashboard_open: DASHBOARD, dashboard_messages: dashboardMessages,
    raw_p50_us: raw.lat.p50,
    raw_p99_us: raw.lat.p99,
    e2e_p50_us: main.e2e.s.p50,
    e2e_p99_us: main.e2e.s.p99,
    e2e_p999_us: main.e2e.s.p999,
    e2e_max_us: main.e2e.s.max,
    ratio_p50: ratio,
    published_per_s: published,
    inbound_per_s: st?.inbound_per_s ?? 0,
    lost: main.loss.lost,
    backlog_growth: st?.queue_slope_per_s ?? null,
    backlog: {
      link_pending_slope_per_s: st?.queue_slope_per_s ?? null, link_pending_max: st?.queue_max ?? null,
      e2e_trend_us_per_s: main.e2eTrendUsPerS, growing: main.backlogGrowing, publish_dropped: st?.dropped ?? null,
      // where the tail comes from: the worst e2e latency of each second of the main window, ms
      e2e_max_ms_per_s: main.sub.perSecond.filter((x) => x.n > 0).map((x) => Math.round(x.e2eMax / 100) / 10),
    },
    // from sources subscribed to the window: at least the minimum, then until two seconds in a row had no tick slower than 250 ms
    warmup: { seconds: r1(main.warm.seconds), settled: main.warm.settled, last_second_max_ms: r1(main.warm.lastMaxMs) },
    core_rss_mb: st?.core_rss_mb ?? null,
    // where a high RSS comes from: its median, and the peak V8 heap of each hub thread, over the main window
    memory: st ? { rss_mb_p50: st.core_rss_mb_p50, heap_dataplane_mb_max: st.heap_dataplane_mb_max, heap_control_mb_max: st.heap_control_mb_max } : null,
    core_cpu_pct: st?.core_cpu_pct ?? null,
    // over the main window, per role: ms on a CPU and ms runnable without one, per second (/proc schedstat)
    sched: main.sched,
    raw_sched: rawRun.sched,
    idle_cpu_pct: storm?.idle_cpu_pct ?? null,
    stages: {
      link_p50_us: main.link.p50, link_p99_us: main.link.p99, hub_p50_us: main.hub.p50, hub_p99_us: main.hub.p99,
      pub_to_sub_p50_us: main.pub2sub.p50, pub_to_sub_p99_us: main.pub2sub.p99, sub_decode_p50_us: r2(main.decodeNsP50 / 1000),
      raw_sub_decode_p50_us: r2(raw.decodeNsP50 / 1000),
    },
    capacity_inbound_per_s: capacity,
    clients,
    storm: storm ? {
      burst_ticks: storm.burst_ticks, published_per_burst: storm.published_per_burst, bursts: storm.bursts,
      drain_ms_p50: storm.drain_ms_p50, drain_ms_max: storm.drain_ms_max, worst_latency_us: storm.worst_latency_us,
      hub_drain_ms_p50: storm.hub_drain_ms_p50, hub_drain_ms_max: storm.hub_drain_ms_max, gw_to_last_ms_max: storm.gw_to_last_ms_max, lost: storm.lost,
      drain_ms_per_burst: storm.per_burst.map((x) => x.drain_ms), hub_drain_ms_per_burst: storm.per_burst.map((x) => x.hub_drain_ms),
      raw_drain_ms_p50: stormRaw?.drain_ms_p50 ?? null, raw_drain_ms_max: stormRaw?.drain_ms_max ?? null, raw_lost: stormRaw?.lost ?? null,
      // the same storm with the measuring subscriber on every 10th instrument: the hub's own drain (full runs only)
      core: stormCore ? {
        subscriber_instruments: subsetIdx.size, hub_drain_ms_p50: stormCore.hub_drain_ms_p50, hub_drain_ms_max: stormCore.hub_drain_ms_max,
        hub_drain_ms_per_burst: stormCore.per_burst.map((x) => x.hub_drain_ms), drain_ms_p50: stormCore.drain_ms_p50,
        worst_latency_us: stormCore.worst_latency_us, lost: stormCore.lost,
      } : null,
    } : null,
    python: main.python ? {
      p50_us: main.python.p50_us, p99_us: main.python.p99_us, p999_us: main.python.p999_us, rate_per_s: main.python.rate_per_s,
      in_window: main.python.in_window, node_in_window: main.sub.inWindow, negative: main.python.negative,
      raw_p50_us: rawPython?.p50_us ?? null, raw_p99_us: rawPython?.p99_us ?? null, raw_rate_per_s: rawPython?.rate_per_s ?? null,
    } : null,
    subscriber: {
      raw_sub_ceiling_per_s: rawCeiling, raw_ceiling_publisher_per_s: rawCeilingPub, client_ceiling_per_s: clientCeiling,
      in_window: main.sub.inWindow, gaps: main.sub.gaps, duplicates: main.loss.duplicates, negative_e2e: main.sub.negative,
      cpu_pct: st?.sub_cpu_pct ?? null, python_cpu_pct: st?.py_cpu_pct ?? null,
    },
    loss: { tail_s: P.tailMs / 1000, max_tail_s: P.maxTailMs / 1000, expected: main.loss.expected, lost: main.loss.lost, window_market_ms: main.loss.window_market_ms, examples: main.loss.examples },
    clock: { ...clock, link_min_us: main.sub.minLinkUs, realtime_minus_timeorigin_us: realtimeVsTimeOrigin },
    machine: {
      cores, gateways_cpu_pct: st?.gateways_cpu_pct ?? null, busy_pct: st?.machine_busy_pct ?? null, duplicates_per_s: st?.duplicates_per_s ?? null,
      source_restarts: st?.restarts ?? null, cleansing_rejected: st?.rejected ?? null, metrics_samples: st?.metrics_samples ?? null, load_avg_1m: r2(os.loadavg()[0] ?? 0),
    },
    sweep,
    targets,
    config: {
      quick: QUICK, sources: SOURCES, instruments: INSTRUMENTS, target_published_per_s: TARGET_RATE, clock_rate: r2(clockRate),
      tape_snapshots_per_market_s: Math.round(tapeRate), duration_s: DURATION_S, link_transport: TRANSPORT, pub_transport: 'tcp',
      raw_phase_consumers: withPython ? 'raw SUB + pyzmq subscriber (the hub run\'s consumers)' : 'raw SUB',
      main_subscriber: 'all instruments, batch stream (@mdhub/client batch auto)',
      wide_tick_subscriber: !WIDE_TICK ? 'none (--no-wide-tick)' : mainOnSubset ? `every 10th instrument (${subsetIdx.size}), per-tick topics` : 'all instruments, per-tick topics',
      sweep_subscriber: `every 10th instrument (${subsetIdx.size})`,
      sweep_sources: SWEEP_PRERENDER ? `tape pre-rendered before each step, delivered in turns of ≥ ${SWEEP_TURN_MS} ms (sources only encode and send; --sweep-sources live to simulate it during the step)` : 'live simulation', cleansing: 'hub config default (cleansing.enabled true)',
    },
    ...profilesJson(main.profiles, 12),
    plot: path.relative(ROOT, svgFile),
    notes,
    wall_s: r1((Date.now() - t0) / 1000),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().then(
  () => {
    killAll(argv.keep === true);
    process.exit(0);
  },
  (err: unknown) => {
    process.stderr.write(`bench:e2e failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    killAll(argv.keep === true);
    process.stdout.write(`${JSON.stringify({ error: String(err), notes, wall_s: r1((Date.now() - t0) / 1000) })}\n`);
    process.exit(1);
  },
);
