/**
 * What one simulated source costs per delivered copy, in process: the replica's poll (tape + latency model)
 * and the gateway link's batch encode, over a stretch of market time, as fast as it runs.
 *
 *   npm run bench:sim -- [--instruments 5000] [--market-s 60] [--profile FILE]
 */
import { parseArgs } from 'node:util';
import { Session } from 'node:inspector/promises';
import fs from 'node:fs';
import { BatchEncoder } from '@mdhub/protocol';
import { TradingCalendar, listProducts, loadMarketData } from '@mdhub/core';
import { SourceReplica, buildUniverse } from '@mdhub/gateway-sim';
import { MARKET_SEED, SIM_ANCHOR } from './e2e/common.js';

const { values } = parseArgs({ options: { instruments: { type: 'string', default: '5000' }, 'market-s': { type: 'string', default: '60' }, profile: { type: 'string' } } });
const anchor = Date.parse(SIM_ANCHOR);
const calendar = new TradingCalendar(loadMarketData());
const tradingDay = calendar.tradingDayAt('commodity_day', anchor) ?? calendar.tradingDayOnOrAfter(SIM_ANCHOR.slice(0, 10));
const universe = buildUniverse({ seed: MARKET_SEED, tradingDay, products: listProducts(), instruments: Number(values.instruments) });
const replica = new SourceReplica({
  universe, tape: { seed: MARKET_SEED, calendar, startMs: anchor }, sourceSeed: 'sim-a',
  latency: { medianMs: 3, sigma: 0.6, minMs: 0.5 }, gatewayName: 'sim-a', deliverFromMs: anchor, lookaheadMs: 250,
});
const enc = new BatchEncoder();
const marketMs = Number(values['market-s']) * 1000;

function run(fromMs: number, toMs: number): { copies: number; pollNs: number; encodeNs: number } {
  let copies = 0;
  let pollNs = 0;
  let encodeNs = 0;
  let seq = 0;
  // Poll at each copy's due time, as the plugin's timer loop does (steps of at least 1 market ms).
  let now = fromMs;
  while (now < toMs) {
    const t0 = process.hrtime.bigint();
    const r = replica.poll(now);
    const t1 = process.hrtime.bigint();
    if (r.due.length > 0) {
      enc.encode({ runId: 'r', gatewayId: 'sim-a', batchSeq: ++seq, sentNs: 0 }, r.due);
      encodeNs += Number(process.hrtime.bigint() - t1);
    }
    pollNs += Number(t1 - t0);
    copies += r.due.length;
    now = r.nextDueMs === null ? toMs : Math.max(now + 1, r.nextDueMs);
  }
  return { copies, pollNs, encodeNs };
}

run(anchor, anchor + 10_000); // warm up
let session: Session | null = null;
if (values.profile) {
  session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
}
const c0 = process.cpuUsage();
const r = run(anchor + 10_000, anchor + 10_000 + marketMs);
if (r.copies === 0) throw new Error('no copies delivered: nothing to measure (is the anchor inside a session?)');
const c = process.cpuUsage(c0);
if (session) {
  const { profile } = await session.post('Profiler.stop');
  fs.writeFileSync(values.profile!, JSON.stringify(profile));
}
console.log(JSON.stringify({
  instruments: universe.length, market_s: marketMs / 1000, copies: r.copies,
  poll_ns_per_copy: Math.round(r.pollNs / r.copies), encode_ns_per_copy: Math.round(r.encodeNs / r.copies),
  cpu_ns_per_copy: Math.round(((c.user + c.system) * 1000) / r.copies),
}));
