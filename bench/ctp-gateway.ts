/**
 * What the CTP gateway costs: one real gateway process (the hub's gateway host with @mdhub/gateway-ctp on
 * the ABI simulator library, CTP 6.7.7) fed by the simulated front at fixed rates, its link read by a PULL
 * socket in this process. Per rate: ticks delivered per second, the gateway process's CPU and CPU per tick
 * (library receive + binding + conversion + link), vendor callback → link latency per tick (p50/p99, the
 * gateway's own histogram), and what the binding conflated or dropped. Then, in this process, the binding's
 * struct → JS object conversion (`decodeDepth`, the code a callback's copy goes through) and the converter,
 * per tick. Run: `npm run bench:ctp -- [--quick] [--instruments N] [--seconds S]`. Prints JSON (last line).
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import * as zmq from 'zeromq';
import { BatchDecoder } from '@mdhub/protocol';
import { TradingCalendar, loadMarketData } from '@mdhub/core/plugin';
import type { ClockParams } from '@mdhub/core/plugin';
import { SimFront, depthStruct, frontUniverse, simLibrary, simLibraryMissing, writeSimSettings } from '@mdhub/vendor-sim';
import { DepthConverter, addonMissing, openSession } from '@mdhub/gateway-ctp/internal';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, instruments: { type: 'string', default: '2000' }, seconds: { type: 'string', default: '4' } } });
const QUICK = values.quick === true;
const INSTRUMENTS = Number(values.instruments);
const SECONDS = QUICK ? 2 : Number(values.seconds);
const RATES = QUICK ? [20_000, 80_000] : [10_000, 25_000, 50_000, 100_000, 150_000, 200_000, 300_000];
const HOST = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../packages/core/dist/gateway/host.js');
const FUTURES = ['SHFE', 'INE', 'DCE', 'CZCE', 'CFFEX', 'GFEX'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (msg: string): void => { process.stderr.write(`${msg}\n`); };

const missing = addonMissing() ?? simLibraryMissing();
if (missing) {
  log(`bench:ctp needs the binding and the simulator libraries: ${missing}`);
  process.exit(1);
}

/** utime + stime of a process, ms (/proc/PID/stat, clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) * (1000 / 100);
}

async function main(): Promise<void> {
  const anchorMs = Date.parse('2026-11-25T09:35:00+08:00');
  const clock: ClockParams = { simulated: true, anchorMs, monoRefNs: Number(process.hrtime.bigint()), rate: 1 };
  const market = { instruments: INSTRUMENTS };
  const front = await SimFront.start({ flavour: 'ctp-6.7.7', clock, market, exchanges: FUTURES });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-bench-ctp-'));
  const reference = path.join(dir, 'instruments.csv');
  const served = frontUniverse({ market, exchanges: FUTURES }, anchorMs).served;
  fs.writeFileSync(reference, `symbol,exchange,name\n${served.map((i) => `${i.symbol},${i.exchange},"${i.name}"`).join('\n')}\n`);
  writeSimSettings(`${dir}/flow/`, { retryMs: 100, reconnectMs: 50 });

  // The hub's side of the link: counts ticks per message (no decoding beyond the header).
  const pull = new zmq.Pull({ linger: 0, receiveHighWaterMark: 16 });
  await pull.bind('tcp://127.0.0.1:*');
  const decoder = new BatchDecoder();
  let received = 0;
  void (async () => { try { for await (const [m] of pull) received += decoder.open(m!).n; } catch { /* closed */ } })();

  const child = fork(HOST, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'advanced', env: { PATH: process.env['PATH'] ?? '' } });
  let state = '';
  let reqId = 0;
  const replies = new Map<number, (v: unknown) => void>();
  child.on('message', (m: { t: string; state?: string; reqId?: number; result?: unknown; message?: string }) => {
    if (m.t === 'state') state = m.state ?? '';
    if (m.t === 'reply') replies.get(m.reqId!)?.(m.result);
    if (m.t === 'failed') { log(`gateway failed: ${m.message}`); process.exit(1); }
  });
  const control = (op: string): Promise<Record<string, unknown>> => new Promise((resolve) => {
    const id = ++reqId;
    replies.set(id, (v) => resolve(v as Record<string, unknown>));
    child.send({ t: 'control', reqId: id, cmd: { op } });
  });
  child.send({
    t: 'init', id: 'ctp-bench', hubId: 'bench', runId: 'bench', plugin: '@mdhub/gateway-ctp', endpoint: pull.lastEndpoint, clock, dataDir: dir,
    config: { library: simLibrary('ctp-6.7.7'), flavour: 'ctp-6.7.7', fronts: [front.address], broker_id: '9999', user_id: 'u1', password: 'x', reference_file: reference, flow_dir: `${dir}/flow`, simulated: true },
  });
  const t0 = Date.now();
  while (state !== 'subscribed') {
    if (Date.now() - t0 > 30_000) throw new Error(`gateway not subscribed after 30 s (state ${state})`);
    await sleep(50);
  }
  log('gateway subscribed');
  await sleep(1500); // the front learns each instrument's latest state
  const pid = child.pid!;
  const steps: Array<Record<string, unknown>> = [];
  let base = (await control('stats'))['binding'] as { conflated: number; dropped: number };
  for (const rate of RATES) {
    await control('reset-latency');
    const r0 = received;
    const c0 = cpuMs(pid);
    const w0 = performance.now();
    const sent = await front.blast(rate, SECONDS * 1000);
    const wall = performance.now() - w0;
    const c1 = cpuMs(pid);
    const inWindow = received - r0;
    // Drain what is still on its way (a backlog shows as a lower in-window rate); the tape's own ticks keep coming.
    for (let last = -1, i = 0; received - last > 500 && i < 40; i++) { last = received; await sleep(250); }
    const s = await control('stats');
    const b = s['binding'] as { conflated: number; dropped: number; maxQueuedDepth: number };
    const step = {
      offered_per_s: rate, sent, delivered: received - r0, delivered_in_window_per_s: Math.round(inWindow / (wall / 1000)),
      gateway_cpu_pct: Math.round(((c1 - c0) / wall) * 1000) / 10, gateway_cpu_ns_per_tick: inWindow > 0 ? Math.round(((c1 - c0) * 1e6) / inWindow) : null,
      callback_to_link_us: s['callback_to_link_us'], conflated: b.conflated - base.conflated, dropped: b.dropped - base.dropped, max_queued: b.maxQueuedDepth,
    };
    base = b;
    steps.push(step);
    log(JSON.stringify(step));
  }
  child.send({ t: 'stop' });
  await new Promise((r) => child.once('exit', r));
  pull.close();

  // In this process: the binding's struct → object conversion and the converter, per tick.
  const calendar = new TradingCalendar(loadMarketData());
  const session = openSession({ library: simLibrary('ctp-6.7.7'), flavour: 'ctp-6.7.7', flowPath: `${dir}/flow/`, productionMode: true, onEvents: () => {} });
  const inst = served.find((i) => i.product.product === 'rb') ?? served[0]!;
  const tick = front.sent.get(inst.symbol)?.at(-1);
  if (!tick) throw new Error(`no tick of ${inst.symbol} was sent`);
  const bytes = depthStruct('ctp-6.7.7', tick, { exchangeId: '' });
  const conv = new DepthConverter(calendar, 'bench', 'ctp-6.7.7');
  conv.setInstruments(served.map((i) => ({ symbol: i.symbol, exchange: i.exchange, name: i.name })));
  const N = QUICK ? 100_000 : 500_000;
  const ev = session.decodeDepth(bytes);
  for (let i = 0; i < 20_000; i++) conv.convert(session.decodeDepth(bytes), front.clock.now()); // warm up
  let a = process.hrtime.bigint();
  for (let i = 0; i < N; i++) session.decodeDepth(bytes);
  const decodeNs = Number(process.hrtime.bigint() - a) / N;
  const now = front.clock.now();
  a = process.hrtime.bigint();
  for (let i = 0; i < N; i++) conv.convert(ev, now);
  const convertNs = Number(process.hrtime.bigint() - a) / N;
  await session.release();
  await front.close();

  const sustained = steps.filter((s) => (s['delivered_in_window_per_s'] as number) >= 0.97 * (s['offered_per_s'] as number) && s['conflated'] === 0 && s['dropped'] === 0);
  const result = {
    bench: 'ctp-gateway', quick: QUICK, instruments: served.length, seconds_per_step: SECONDS, cpus: os.cpus().length,
    max_sustained_per_s: sustained.length > 0 ? Math.max(...sustained.map((s) => s['offered_per_s'] as number)) : 0,
    best_delivered_per_s: Math.max(...steps.map((s) => s['delivered_in_window_per_s'] as number)),
    steps,
    binding_decode_ns_per_tick: Math.round(decodeNs), converter_ns_per_tick: Math.round(convertNs),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
}

main().catch((err: unknown) => {
  log(String((err as Error)?.stack ?? err));
  process.exit(1);
});
