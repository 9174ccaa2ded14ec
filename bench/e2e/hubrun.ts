/**
 * One hub for the benchmark, started as a user starts it: `node packages/core/dist/cli.js start --config
 * FILE --data-dir DIR` (the `mdhub start` code path), with its gateway rows written beforehand into the
 * embedded SQLite database with @mdhub/core's Store. Readiness: DIR/ready.json with our child's pid,
 * then /healthz until every source is `subscribed`. While it runs, a sampler reads /metrics and /proc.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ReadyInfo } from '@mdhub/core';
import { openService } from '@mdhub/core';
import { CLI, SIM_ANCHOR, monoNs, sleep } from './common.js';
import { cpuSeconds, machineJiffies, rssMb, spawnTracked, trackDir, trackPid, waitExit } from './procs.js';

export interface GatewaySpec {
  id: string;
  plugin: string;
  config: Record<string, unknown>;
}

export interface HubOptions {
  label: string;
  gateways: GatewaySpec[];
  clockRate: number;
  linkTransport: 'ipc' | 'tcp';
  pubPort: number;
  cpuProfDir?: string;
  quiet?: boolean;
}

export interface HubRun {
  proc: ChildProcess;
  pid: number;
  dataDir: string;
  ready: ReadyInfo;
  /** JSON log records the hub wrote on stdout. */
  logs: Array<Record<string, unknown>>;
  gatewayPids: () => number[];
  stop: () => Promise<void>;
  output: () => string;
}

function log(msg: string): void {
  process.stderr.write(`bench:e2e ${msg}\n`);
}

export async function startHub(o: HubOptions): Promise<HubRun> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `mdhub-bench-${o.label}-`));
  trackDir(dataDir);
  // Written as `mdhub gateway add` writes them: through the configuration service, into the embedded SQLite.
  const db = await openService({ dataDir, env: {}, schema: 'check', createKey: false });
  const actor = { name: 'bench' };
  try {
    // The group lists no sources: every gateway races. Without any gateway the database is still not
    // empty (the group), so no demo is seeded and no source starts.
    await db.service.addGroup(actor, { name: 'default', policy: 'race', instruments: ['all'] });
    for (const g of o.gateways) await db.service.addGateway(actor, { id: g.id, plugin: g.plugin, config: g.config });
  } finally {
    await db.close();
  }
  const configFile = path.join(dataDir, 'bench-config.json');
  fs.writeFileSync(configFile, JSON.stringify({
    pub: `tcp://127.0.0.1:${o.pubPort}`, snapshot: 'tcp://127.0.0.1:*', http: '127.0.0.1:0',
    hubId: `bench${process.pid}${o.label.replace(/[^A-Za-z0-9]/g, '')}`.slice(0, 32),
    linkTransport: o.linkTransport, clockRate: o.clockRate, simAnchor: SIM_ANCHOR,
    logLevel: 'info', logFormat: 'json',
  }, null, 2));
  const nodeArgs = o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : [];
  const proc = spawnTracked(process.execPath, [...nodeArgs, CLI, 'start', '--config', configFile, '--data-dir', dataDir]);
  const logs: Array<Record<string, unknown>> = [];
  const tail: string[] = [];
  let partial = '';
  const onData = (d: Buffer): void => {
    partial += d.toString();
    let i: number;
    while ((i = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, i);
      partial = partial.slice(i + 1);
      tail.push(line);
      if (tail.length > 200) tail.shift();
      if (line.startsWith('{')) {
        try {
          const rec = JSON.parse(line) as Record<string, unknown>;
          logs.push(rec);
          if (!o.quiet && (rec['level'] === 'error' || rec['level'] === 'warn')) log(`[hub ${o.label}] ${line.slice(0, 300)}`);
        } catch { /* not JSON */ }
      }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  let exited = false;
  proc.once('exit', () => { exited = true; });
  const readyFile = path.join(dataDir, 'ready.json');
  let ready: ReadyInfo | null = null;
  const until = Date.now() + 30_000;
  while (!ready) {
    if (exited) throw new Error(`hub ${o.label} exited early:\n${tail.join('\n')}`);
    if (Date.now() > until) throw new Error(`hub ${o.label}: no ready.json in 30 s:\n${tail.join('\n')}`);
    try {
      const r = JSON.parse(fs.readFileSync(readyFile, 'utf8')) as ReadyInfo;
      if (r.pid === proc.pid) ready = r;
    } catch { /* not yet */ }
    if (!ready) await sleep(25);
  }
  const gatewayPids = (): number[] => {
    try {
      const pids = JSON.parse(fs.readFileSync(path.join(dataDir, 'children.json'), 'utf8')) as number[];
      for (const p of pids) trackPid(p);
      return pids;
    } catch {
      return [];
    }
  };
  const stop = async (): Promise<void> => {
    const pids = gatewayPids();
    if (!exited) {
      proc.kill('SIGTERM');
      await waitExit(proc, 10_000);
    }
    for (const pid of pids) {
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(pid, 0);
        } catch {
          break;
        }
        await sleep(20);
      }
    }
  };
  return { proc, pid: proc.pid!, dataDir, ready, logs, gatewayPids, stop, output: () => tail.join('\n') };
}

/** Waits until /healthz lists every source as `subscribed`. */
export async function waitSubscribed(hub: HubRun, n: number, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(`http://${hub.ready.http}/healthz`);
      const body = (await r.json()) as { sources?: Array<{ state: string }> };
      if ((body.sources ?? []).filter((s) => s.state === 'subscribed').length >= n) {
        hub.gatewayPids();
        return;
      }
    } catch { /* not yet */ }
    if (Date.now() > until) throw new Error(`hub: sources not subscribed in ${timeoutMs} ms:\n${hub.output()}`);
    await sleep(50);
  }
}

// ------------------------------------------------------------------------------------------------
// /metrics and /proc sampling

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.floor((v.length - 1) / 2)]!;
}

export function parseMetrics(text: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    m.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return m;
}

function sumOf(m: Map<string, number>, name: string): number {
  let s = 0;
  for (const [k, v] of m) if (k === name || k.startsWith(`${name}{`)) s += v;
  return s;
}

export interface Sample {
  ns: number;
  /** When the /metrics answer arrived (the counters below are as of then); 0 when it did not. */
  metricsNs: number;
  published: number;
  received: number;
  /** Ticks the gateways handed to their links (from their pongs, every second). */
  produced: number;
  duplicates: number;
  rejected: number;
  restarts: number;
  queue: number;
  dropped: number;
  hubCpu: number | null;
  hubRss: number | null;
  gwCpu: number;
  subCpu: number | null;
  pyCpu: number | null;
  machineBusy: number;
  machineTotal: number;
  /** V8 heap in use per hub thread (bytes; 0 when /metrics did not answer). */
  heapDataplane: number;
  heapControl: number;
}

export interface Sampler {
  stop: () => Promise<Sample[]>;
  setPy: (pid: number) => void;
}

/**
 * Every `everyMs`: /proc readings at once (hub, its gateways, subscribers, machine), then /metrics with a
 * timeout (an overloaded hub answers late: the counters are stamped with the answer's arrival).
 */
export function startSampler(hub: HubRun, subPid: number | null, everyMs = 250): Sampler {
  const samples: Sample[] = [];
  let running = true;
  let pyPid: number | null = null;
  let gwPids: number[] = hub.gatewayPids();
  let n = 0;
  const loop = (async () => {
    while (running) {
      const t0 = Date.now();
      if (++n % 8 === 0) gwPids = hub.gatewayPids();
      const ns = monoNs();
      const hubCpu = cpuSeconds(hub.pid);
      const hubRss = rssMb(hub.pid);
      let gwCpu = 0;
      for (const p of gwPids) gwCpu += cpuSeconds(p) ?? 0;
      const subCpu = subPid !== null ? cpuSeconds(subPid) : null;
      const pyCpu = pyPid !== null ? cpuSeconds(pyPid) : null;
      const mj = machineJiffies();
      const s: Sample = {
        ns, metricsNs: 0, published: 0, received: 0, produced: 0, duplicates: 0, rejected: 0, restarts: 0, queue: 0, dropped: 0,
        hubCpu, hubRss, gwCpu, subCpu, pyCpu, machineBusy: mj.busy, machineTotal: mj.total, heapDataplane: 0, heapControl: 0,
      };
      try {
        const r = await fetch(`http://${hub.ready.http}/metrics`, { signal: AbortSignal.timeout(Math.max(everyMs * 4, 1000)) });
        const m = parseMetrics(await r.text());
        s.metricsNs = monoNs();
        s.published = sumOf(m, 'mdhub_published_ticks_total');
        s.received = sumOf(m, 'mdhub_source_received_total');
        s.produced = sumOf(m, 'mdhub_link_sent_ticks_total');
        s.duplicates = sumOf(m, 'mdhub_source_duplicates_total');
        s.rejected = sumOf(m, 'mdhub_cleansing_rejected_total');
        s.restarts = sumOf(m, 'mdhub_source_restarts_total');
        s.queue = sumOf(m, 'mdhub_link_pending_ticks');
        s.dropped = sumOf(m, 'mdhub_publish_dropped_total');
        s.heapDataplane = m.get('mdhub_heap_used_bytes{thread="dataplane"}') ?? 0;
        s.heapControl = m.get('mdhub_heap_used_bytes{thread="control"}') ?? 0;
      } catch { /* hub too busy to answer in time, or gone */ }
      samples.push(s);
      await sleep(Math.max(10, everyMs - (Date.now() - t0)));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
    setPy: (pid) => { pyPid = pid; },
  };
}

export interface WindowStats {
  seconds: number;
  /** Span between the first and last /metrics answers used for the rates. */
  metrics_seconds: number;
  metrics_samples: number;
  restarts: number;
  published_per_s: number;
  inbound_per_s: number;
  /** What the sources produced over the window (a hub catching up on a backlog receives more than this). */
  produced_per_s: number;
  duplicates_per_s: number;
  rejected: number;
  dropped: number;
  core_cpu_pct: number;
  core_rss_mb: number;
  /** Median RSS over the window (core_rss_mb is the peak). */
  core_rss_mb_p50: number;
  /** Peak V8 heap in use per hub thread over the window, MB: with RSS, tells the JS heaps from native memory. */
  heap_dataplane_mb_max: number;
  heap_control_mb_max: number;
  gateways_cpu_pct: number;
  sub_cpu_pct: number | null;
  py_cpu_pct: number | null;
  machine_busy_pct: number;
  queue_max: number;
  /** Least-squares slope of the ticks waiting in the gateways' links (summed) over the window, ticks/s. */
  queue_slope_per_s: number;
}

/** Rates and CPU over the samples inside [fromNs, toNs] (widened to the nearest samples when sparse). */
export function windowStats(samples: Sample[], fromNs: number, toNs: number, slopeFn: (x: number[], y: number[]) => number): WindowStats | null {
  const pick = (xs: Sample[], t: (s: Sample) => number): Sample[] => {
    let w = xs.filter((s) => t(s) >= fromNs - 0.15e9 && t(s) <= toNs + 0.15e9);
    if (w.length < 2) {
      const before = xs.filter((s) => t(s) < fromNs).pop();
      const after = xs.find((s) => t(s) > toNs);
      w = [...(before ? [before] : []), ...w, ...(after ? [after] : [])];
    }
    return w;
  };
  const w = pick(samples, (s) => s.ns);
  const wm = pick(samples.filter((s) => s.metricsNs > 0), (s) => s.metricsNs);
  if (w.length < 2) return null;
  const a = w[0]!;
  const b = w[w.length - 1]!;
  const dt = (b.ns - a.ns) / 1e9;
  const pct = (x: number | null, y: number | null): number | null => (x !== null && y !== null ? Math.round(((y - x) / dt) * 1000) / 10 : null);
  const ma = wm[0];
  const mb = wm[wm.length - 1];
  const mdt = ma && mb && mb !== ma ? (mb.metricsNs - ma.metricsNs) / 1e9 : 0;
  const rate = (f: (s: Sample) => number): number => (mdt > 0 ? Math.round((f(mb!) - f(ma!)) / mdt) : 0);
  return {
    seconds: Math.round(dt * 100) / 100,
    metrics_seconds: Math.round(mdt * 100) / 100,
    published_per_s: rate((s) => s.published),
    inbound_per_s: rate((s) => s.received),
    produced_per_s: rate((s) => s.produced),
    duplicates_per_s: rate((s) => s.duplicates),
    rejected: mdt > 0 ? mb!.rejected - ma!.rejected : 0,
    dropped: mdt > 0 ? mb!.dropped - ma!.dropped : 0,
    restarts: mdt > 0 ? mb!.restarts - ma!.restarts : 0,
    core_cpu_pct: pct(a.hubCpu, b.hubCpu) ?? 0,
    core_rss_mb: Math.round(Math.max(...w.map((s) => s.hubRss ?? 0)) * 10) / 10,
    core_rss_mb_p50: Math.round(median(w.map((s) => s.hubRss ?? 0)) * 10) / 10,
    heap_dataplane_mb_max: Math.round(Math.max(0, ...wm.map((s) => s.heapDataplane)) / 1e5) / 10,
    heap_control_mb_max: Math.round(Math.max(0, ...wm.map((s) => s.heapControl)) / 1e5) / 10,
    gateways_cpu_pct: pct(a.gwCpu, b.gwCpu) ?? 0,
    sub_cpu_pct: pct(a.subCpu, b.subCpu),
    py_cpu_pct: pct(a.pyCpu, b.pyCpu),
    machine_busy_pct: Math.round(((b.machineBusy - a.machineBusy) / (b.machineTotal - a.machineTotal)) * 1000) / 10,
    queue_max: wm.length ? Math.max(...wm.map((s) => s.queue)) : 0,
    queue_slope_per_s: wm.length >= 2 ? Math.round(slopeFn(wm.map((s) => (s.metricsNs - wm[0]!.metricsNs) / 1e9), wm.map((s) => s.queue)) * 10) / 10 : 0,
    metrics_samples: wm.length,
  };
}
