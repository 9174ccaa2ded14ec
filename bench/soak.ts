/**
 * Soak: the hub (the `mdhub start` CLI, three simulated sources) runs for a long window at a steady rate
 * while a subscriber counts ticks; heap (per thread) and RSS are sampled from /metrics and their slopes
 * reported. No heap growth = a slope near 0 after warm-up.
 *   npm run bench:soak [-- --seconds 600 --clock-rate 10 --instruments 300 --every 10]
 * Last line: one JSON object.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '@mdhub/client';
import { openService, type ReadyInfo } from '@mdhub/core';

const { values } = parseArgs({ options: {
  seconds: { type: 'string', default: '600' }, 'clock-rate': { type: 'string', default: '10' },
  instruments: { type: 'string', default: '300' }, every: { type: 'string', default: '10' }, warmup: { type: 'string', default: '60' },
} });
const SECONDS = Number(values.seconds);
const EVERY = Number(values.every) * 1000;
const WARMUP = Number(values.warmup);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (m: string): void => void process.stderr.write(`bench:soak ${m}\n`);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-soak-'));
const db = await openService({ dataDir: dir, env: {}, schema: 'check', createKey: false });
const market = { seed: 20260101, instruments: Number(values.instruments) };
await db.service.addGroup({ name: 'bench' }, { name: 'default', policy: 'race', instruments: ['all'] });
for (const [i, id] of ['sim-a', 'sim-b', 'sim-c'].entries()) {
  await db.service.addGateway({ name: 'bench' }, { id, plugin: '@mdhub/gateway-sim', config: { market, latency: { medianMs: 2 + 2 * i, sigma: 0.6 } } });
}
await db.close();
fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ clockRate: Number(values['clock-rate']) }));
const cli = new URL('../packages/core/dist/cli.js', import.meta.url).pathname;
const hub = spawn(process.execPath, [cli, 'start', '--config', path.join(dir, 'config.json'), '--data-dir', dir, '--pub', 'tcp://127.0.0.1:*', '--snapshot', 'tcp://127.0.0.1:*', '--http', '127.0.0.1:0', '--sim-anchor', '2026-11-25T09:00:30+08:00'], { stdio: ['ignore', 'ignore', 'inherit'] });
const cleanup = (): void => { hub.kill('SIGTERM'); };
process.on('SIGINT', () => { cleanup(); process.exit(130); });
let ready: ReadyInfo | null = null;
for (let i = 0; i < 300 && !ready; i++) {
  try { ready = JSON.parse(fs.readFileSync(path.join(dir, 'ready.json'), 'utf8')) as ReadyInfo; } catch { await sleep(100); }
}
if (!ready) throw new Error('hub did not start');
const client = connect(ready.pub);
let ticks = 0;
let gaps = 0;
client.subscribe('*', () => { ticks++; });
client.on('gap', () => { gaps++; });

interface Sample { t: number; heapDp: number; heapCtl: number; rss: number; published: number; ticks: number }
const samples: Sample[] = [];
const metric = (text: string, re: RegExp): number => Number(re.exec(text)?.[1] ?? NaN);
const t0 = Date.now();
log(`hub ${ready.pid} at ${ready.pub}; ${SECONDS} s, sampling every ${EVERY / 1000} s`);
while (Date.now() - t0 < SECONDS * 1000) {
  await sleep(EVERY);
  const text = await (await fetch(`http://${ready.http}/metrics`)).text();
  const s: Sample = {
    t: (Date.now() - t0) / 1000,
    heapDp: metric(text, /^mdhub_heap_used_bytes\{thread="dataplane"\} (\d+)/m),
    heapCtl: metric(text, /^mdhub_heap_used_bytes\{thread="control"\} (\d+)/m),
    rss: metric(text, /^mdhub_rss_bytes (\d+)/m),
    published: metric(text, /^mdhub_published_ticks_total (\d+)/m),
    ticks,
  };
  samples.push(s);
  log(`t=${s.t.toFixed(0)}s published=${s.published} heap dataplane=${(s.heapDp / 1e6).toFixed(1)}MB control=${(s.heapCtl / 1e6).toFixed(1)}MB rss=${(s.rss / 1e6).toFixed(0)}MB`);
}
await client.close();
cleanup();
await new Promise((r) => hub.once('exit', r));
fs.rmSync(dir, { recursive: true, force: true });

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) { num += (xs[i]! - mx) * (ys[i]! - my); den += (xs[i]! - mx) ** 2; }
  return den === 0 ? 0 : num / den;
}
const steady = samples.filter((s) => s.t >= WARMUP);
const xs = steady.map((s) => s.t / 60);
const last = samples[samples.length - 1]!;
console.log(JSON.stringify({
  seconds: SECONDS, warmup_s: WARMUP, samples: samples.length,
  published: last.published, published_per_s: Math.round(last.published / last.t), received: last.ticks, client_gaps: gaps,
  heap_dataplane_mb_per_min: Number((slope(xs, steady.map((s) => s.heapDp)) / 1e6).toFixed(3)),
  heap_control_mb_per_min: Number((slope(xs, steady.map((s) => s.heapCtl)) / 1e6).toFixed(3)),
  rss_mb_per_min: Number((slope(xs, steady.map((s) => s.rss)) / 1e6).toFixed(3)),
  heap_dataplane_mb: { first: Number((steady[0]!.heapDp / 1e6).toFixed(1)), last: Number((last.heapDp / 1e6).toFixed(1)) },
  rss_mb: { first: Number((steady[0]!.rss / 1e6).toFixed(0)), last: Number((last.rss / 1e6).toFixed(0)) },
}));
process.exit(0);
