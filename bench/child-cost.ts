/**
 * What one simulated gateway child process costs to start and to keep: fork → `ready` (modules loaded,
 * plugin created), fork → `subscribed`, and its RSS once subscribed (median of 1 s samples over `--hold`
 * seconds), over `--runs` runs. Run: `npm run bench:child -- [--runs N] [--hold S]`. Prints JSON.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as zmq from 'zeromq';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, hold: { type: 'string', default: '3' } } });
const RUNS = Number(values.runs);
const HOLD_S = Number(values.hold);
const HOST = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../packages/core/dist/gateway/host.js');

const rssKb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
};
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function once(): Promise<{ readyMs: number; subscribedMs: number; rssMb: number }> {
  const pull = new zmq.Pull({ linger: 0 });
  await pull.bind('tcp://127.0.0.1:*');
  void (async () => { try { for await (const _ of pull) { /* drain */ } } catch { /* closed */ } })();
  const t0 = performance.now();
  const child = fork(HOST, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced', env: { PATH: process.env['PATH'] ?? '' } });
  let readyMs = 0;
  const subscribed = new Promise<number>((resolve, reject) => {
    child.on('message', (m: { t: string; state?: string; message?: string }) => {
      if (m.t === 'ready') readyMs = performance.now() - t0;
      if (m.t === 'state' && m.state === 'subscribed') resolve(performance.now() - t0);
      if (m.t === 'failed') reject(new Error(m.message));
    });
    child.on('exit', (code) => reject(new Error(`child exited ${code}`)));
  });
  const now = Date.parse('2026-11-25T09:35:00+08:00');
  child.send({
    t: 'init', id: 'cost', hubId: 'bench', runId: '00000000-0000-4000-8000-000000000000', plugin: '@mdhub/gateway-sim',
    config: { market: { seed: 20260101 }, loginMs: 0 }, endpoint: pull.lastEndpoint,
    clock: { simulated: true, anchorMs: now, monoRefNs: Number(process.hrtime.bigint()), rate: 1 },
  });
  const subscribedMs = await subscribed;
  const samples: number[] = [];
  for (let i = 0; i < HOLD_S; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(rssKb(child.pid!));
  }
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  pull.close();
  return { readyMs, subscribedMs, rssMb: median(samples) / 1024 };
}

const runs = [];
for (let i = 0; i < RUNS; i++) runs.push(await once());
const r1 = (x: number): number => Math.round(x * 10) / 10;
console.log(JSON.stringify({
  runs: RUNS, hold_s: HOLD_S,
  ready_ms: { median: r1(median(runs.map((r) => r.readyMs))), min: r1(Math.min(...runs.map((r) => r.readyMs))), max: r1(Math.max(...runs.map((r) => r.readyMs))) },
  subscribed_ms: { median: r1(median(runs.map((r) => r.subscribedMs))) },
  rss_mb: { median: r1(median(runs.map((r) => r.rssMb))), min: r1(Math.min(...runs.map((r) => r.rssMb))), max: r1(Math.max(...runs.map((r) => r.rssMb))) },
}));
