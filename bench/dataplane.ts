/**
 * Micro-benchmark of the data plane's per-tick work, in process, no sockets on the input side:
 * decode a gateway batch, cleanse, arbitrate, encode and publish on a real PUB socket (no subscriber). Three sources deliver
 * copies of the same simulated tape (so two of three copies are duplicates, as in a race).
 *   npm run bench:dataplane [-- --instruments 5000 --seconds 60 --batch 200]
 * Last line: one JSON object.
 */
import fs from 'node:fs';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import type { MarketTick } from '@mdhub/protocol';
import { BatchEncoder } from '@mdhub/protocol';
import { DataPlane, TradingCalendar, createCleansingPipeline, listProducts, loadMarketData, simulatedClock } from '@mdhub/core';
import { Tape, buildUniverse } from '@mdhub/gateway-sim';

const { values } = parseArgs({ options: { instruments: { type: 'string', default: '5000' }, seconds: { type: 'string', default: '60' }, batch: { type: 'string', default: '200' }, cleansing: { type: 'string', default: 'on' }, profile: { type: 'string' } } });
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
await dp.start();
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
await dp.close();
console.log(JSON.stringify({ instruments: N, inbound_ticks: ticks, published: st.seq, rejected: Object.values(st.rejections).reduce((a, m) => a + Object.values(m).reduce((x, y) => x + y, 0), 0), ns_per_inbound_tick: Math.round(ns / ticks), cleansing_checked: pipeline?.stats().checked ?? null, duplicates: Object.values(st.sources).reduce((a, c) => a + c.duplicates, 0), inbound_per_s_one_core: Math.round(ticks / (ns / 1e9)), cleansing: values.cleansing }));
process.exit(0);
