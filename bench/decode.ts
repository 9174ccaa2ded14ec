/**
 * What a subscriber pays to decode the hub's ticks, in process: @mdhub/protocol's decodeTick (one per-tick
 * payload) and decodeTickBatch (a `batch.<EXCHANGE>.` message), against the generic msgpack decoder on the
 * same bytes (the baseline of the same run). The payloads are the hub's own encoding of a simulated tape
 * (5,000 instruments, batches of ≤ 256 ticks per exchange, as the hub's batch stream builds them).
 *   npm run bench:decode [-- --rounds 8]
 * Last line: one JSON object (ns per tick, the median round).
 */
import { parseArgs } from 'node:util';
import { decode } from '@msgpack/msgpack';
import type { Tick } from '@mdhub/protocol';
import { TICK_BATCH_MAX_TICKS, TickEncoder, decodeTick, decodeTickBatch, encodeTickBatch } from '@mdhub/protocol';
import { TradingCalendar, listProducts, loadMarketData } from '@mdhub/core';
import { Tape, buildUniverse } from '@mdhub/gateway-sim';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '8' } } });
const ROUNDS = Number(values.rounds);
const anchor = Date.parse('2026-11-25T09:35:00+08:00');
const calendar = new TradingCalendar(loadMarketData());
const universe = buildUniverse({ seed: 20260101, tradingDay: calendar.tradingDayAt('commodity_day', anchor)!, products: listProducts(), instruments: 5000 });
const snaps = new Tape(universe, { seed: 20260101, calendar, startMs: anchor }).advance(anchor + 5000);
const enc = new TickEncoder();
const runId = '0e1f5a52-8c2e-4b7e-9a53-3d1c2b4a5f60';
const payloads: Buffer[] = [];
const byExchange = new Map<string, Buffer[]>();
let seq = 0;
for (const s of snaps) {
  const t = s.tick as Tick;
  Object.assign(t, { localtime: anchor, gateway_name: 'sim-a', source: 'sim-a', seq: ++seq, iseq: seq, gw_recv_ts: 1.7e15, hub_recv_ts: 1.7e15 + 1, hub_pub_ts: 1.7e15 + 2, run_id: runId, last_volume: 1 });
  const p = enc.encode(t);
  payloads.push(p);
  let a = byExchange.get(t.exchange);
  if (!a) byExchange.set(t.exchange, (a = []));
  a.push(p);
}
const batches: Buffer[] = [];
for (const a of byExchange.values()) for (let i = 0; i < a.length; i += TICK_BATCH_MAX_TICKS) batches.push(encodeTickBatch(runId, 1, 1, a.slice(i, i + TICK_BATCH_MAX_TICKS)));

/** ns per tick of `fn` over the set, the median of ROUNDS rounds (after one warm-up round). */
function measure(ticksPerRound: number, fn: () => void): number {
  fn();
  const r: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    r.push(Number(process.hrtime.bigint() - t0) / ticksPerRound);
  }
  r.sort((a, b) => a - b);
  return Math.round(r[Math.floor(r.length / 2)]!);
}

let sink = 0;
const perTick = measure(payloads.length, () => { for (const p of payloads) sink += decodeTick(p).seq; });
const perTickGeneric = measure(payloads.length, () => { for (const p of payloads) sink += (decode(p) as Tick).seq; });
const batched = measure(payloads.length, () => { for (const b of batches) sink += decodeTickBatch(b).ticks.length; });
const batchedGeneric = measure(payloads.length, () => { for (const b of batches) sink += (decode(b) as { ticks: Tick[] }).ticks.length; });
console.log(JSON.stringify({
  ticks: payloads.length, batches: batches.length, payload_bytes_avg: Math.round(payloads.reduce((a, p) => a + p.length, 0) / payloads.length), rounds: ROUNDS,
  decode_tick_ns: perTick, generic_msgpack_tick_ns: perTickGeneric, decode_batch_ns_per_tick: batched, generic_msgpack_batch_ns_per_tick: batchedGeneric,
  speedup_tick: Math.round((perTickGeneric / perTick) * 100) / 100, speedup_batch: Math.round((batchedGeneric / batched) * 100) / 100, sink: sink > 0,
}));
