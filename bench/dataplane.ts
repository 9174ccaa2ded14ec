/**
 * Micro-benchmark of the data plane's per-tick work, in process, no sockets on the input side:
 * decode a gateway batch, cleanse, arbitrate, encode and publish on a real PUB socket. Three sources deliver
 * copies of the same simulated tape (so two of three copies are duplicates, as in a race).
 *   npm run bench:dataplane [-- --instruments 5000 --seconds 60 --batch 200 --subscriber all|batch|none]
 * The hub builds and sends only what some subscriber takes, so a subscriber in a worker thread (reading
 * and discarding) holds: `all` (default: every per-tick topic and every batch, the most work), `batch`
 * (the batch stream only, as a hub whose wide subscribers take batches), or `none` (nothing is encoded or
 * sent: arbitration alone).
 * Last line: one JSON object.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { MarketTick } from '@mdhub/protocol';
import { BatchEncoder } from '@mdhub/protocol';
import { DataPlane, TradingCalendar, createCleansingPipeline, listProducts, loadMarketData, simulatedClock } from '@mdhub/core';
import { Tape, buildUniverse } from '@mdhub/gateway-sim';

const { values } = parseArgs({ options: { instruments: { type: 'string', default: '5000' }, seconds: { type: 'string', default: '60' }, batch: { type: 'string', default: '200' }, cleansing: { type: 'string', default: 'on' }, profile: { type: 'string' }, subscriber: { type: 'string', default: 'all' } } });
const SUBSCRIBER = values.subscriber!;
if (!['all', 'batch', 'none'].includes(SUBSCRIBER)) throw new Error(`--subscriber must be all, batch or none, not ${SUBSCRIBER}`);
const N = Number(values.instruments);
const anchor = Date.parse('2026-11-25T09:35:00+08:00');
const calendar = new TradingCalendar(loadMarketData());
const universe = buildUniverse({ seed: 7, tradingDay: '20261125', products: listProducts(), instruments: N, liquidity: 'liquid' });
const tape = new Tape(universe, { seed: 7, calendar, startMs: anchor });
const snaps = tape.advance(anchor + Number(values.seconds) * 1000);
const runId = 'bench';
const sources = ['a', 'b', 'c'];
const B = Number(values.batch);
const batches: Array<{ src: string; msg: Uint8Array; n: number }> = [];
// One encoder per source, as each gateway link has (strings go once per link).
const encoders = new Map(sources.map((s) => [s, new BatchEncoder({ keyframeMs: Number.POSITIVE_INFINITY })]));
for (let i = 0; i < snaps.length; i += B) {
  const chunk = snaps.slice(i, i + B);
  for (const src of sources) {
    const ticks: MarketTick[] = chunk.map((s) => ({ ...s.tick, localtime: s.emitMs + 2, gateway_name: src }));
    batches.push({ src, msg: encoders.get(src)!.encode({ runId, gatewayId: src, batchSeq: batches.length + 1, sentNs: 0 }, ticks), n: ticks.length });
  }
}
const clock = simulatedClock({ anchorMs: anchor + Number(values.seconds) * 1000 });
const pipeline = values.cleansing === 'on' ? createCleansingPipeline() : null;
const dp = new DataPlane({
  hubId: 'bench', runId, clock, pubEndpoint: 'tcp://127.0.0.1:*', snapshotEndpoint: 'tcp://127.0.0.1:*', linkTransport: 'tcp', groups: [],
  // As the hub wires it (cleansing-hook.ts): per-instrument slots, and observe for race duplicates.
  ...(pipeline ? {
    check: (t: MarketTick, s: string, slot?: { rec?: unknown }) => pipeline.check(t, s, slot),
    observe: (t: MarketTick, s: string, localtime: number, slot?: { rec?: unknown }) => pipeline.observe(t, s, localtime, slot),
  } : {}),
});
const endpoints = await dp.start();
// The subscriber: a worker thread on its own event loop, told to close its socket before it exits.
const subWorker = SUBSCRIBER === 'none' ? null : new Worker(`
  const { parentPort, workerData } = require('node:worker_threads');
  const zmq = require('zeromq');
  const sub = new zmq.Subscriber({ receiveHighWaterMark: 0, linger: 0, receiveTimeout: 100 });
  sub.connect(workerData.endpoint);
  for (const p of workerData.prefixes) sub.subscribe(p);
  let n = 0;
  let stop = false;
  parentPort.on('message', () => { stop = true; });
  (async () => {
    while (!stop) {
      try { await sub.receive(); n++; } catch (e) { if (e.code !== 'EAGAIN') break; }
    }
    sub.close();
    parentPort.postMessage(n);
    parentPort.close();
  })();
  parentPort.postMessage('ready');`, { eval: true, workerData: { endpoint: endpoints.pub, prefixes: SUBSCRIBER === 'all' ? ['tick.', 'batch.'] : ['batch.'] } });
if (subWorker) {
  await new Promise((resolve, reject) => {
    subWorker.once('message', resolve);
    subWorker.once('error', reject);
  });
  const until = Date.now() + 5000;
  while (dp.stats().subscribers.prefixes < (SUBSCRIBER === 'all' ? 2 : 1) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
}
for (const s of sources) { await dp.addGateway(s); dp.setHealth(s, true); }
const counters = { batches: 0, handlerErrors: 0, badBatches: 0, badTicks: 0, wrongRun: 0, lastBatchSeq: 0, gaps: 0 };
// --profile FILE: a CPU profile of the measured loop only (the set-up above is left out).
const session = values.profile ? new Session() : null;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
const t0 = process.hrtime.bigint();
let ticks = 0;
// Yield between batches, as the worker's receive loop does, so the publisher drains (sends included).
for (const b of batches) {
  dp.handleBatch(b.src, b.msg, counters);
  ticks += b.n;
  await new Promise<void>((r) => setImmediate(r));
}
const ns = Number(process.hrtime.bigint() - t0);
if (session) {
  const { profile } = await session.post('Profiler.stop');
  fs.writeFileSync(values.profile!, JSON.stringify(profile));
  session.disconnect();
}
const st = dp.stats();
let received: number | null = null;
if (subWorker) {
  await new Promise((r) => setTimeout(r, 200));
  const got = new Promise<number>((r) => subWorker.on('message', (m) => { if (typeof m === 'number') r(m); }));
  subWorker.postMessage('stop');
  received = await got;
  await new Promise((r) => subWorker.once('exit', r));
}
await dp.close();
console.log(JSON.stringify({ instruments: N, inbound_ticks: ticks, published: st.seq, rejected: Object.values(st.rejections).reduce((a, m) => a + Object.values(m).reduce((x, y) => x + y, 0), 0), ns_per_inbound_tick: Math.round(ns / ticks), cleansing_checked: pipeline?.stats().checked ?? null, duplicates: Object.values(st.sources).reduce((a, c) => a + c.duplicates, 0), inbound_per_s_one_core: Math.round(ticks / (ns / 1e9)), cleansing: values.cleansing, subscriber: SUBSCRIBER, messages_sent: st.published, subscriber_received: received, ticks_unsubscribed: st.subscribers.unsubscribedTicks }));
process.exit(0);
