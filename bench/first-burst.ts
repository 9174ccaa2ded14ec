/**
 * The first burst after a start: a fresh data plane (cleansing on, as the hub wires it) is handed one
 * burst of 5,000 instruments never seen before, from three racing sources (15,000 copies, in link
 * batches of 2,500), then a second burst of the same instruments. `cold`: the instruments' state is
 * created on first sight (what happened before the gateways reported their lists); `prepared`: the
 * gateways' instrument lists were handed over first (prepareInstruments, timed on its own). Each run is
 * a fresh process (the first burst includes code V8 has not optimised yet), the two modes alternate.
 *   npm run bench:first-burst [-- --runs 7 --instruments 5000]
 * Last line: one JSON object.
 */
import { spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import type { MarketTick } from '@mdhub/protocol';
import { BatchEncoder } from '@mdhub/protocol';
import { DataPlane, TradingCalendar, createCleansingPipeline, listProducts, loadMarketData, simulatedClock } from '@mdhub/core';
import { Tape, buildUniverse } from '@mdhub/gateway-sim';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, instruments: { type: 'string', default: '5000' }, child: { type: 'string' } } });
const N = Number(values.instruments);

async function child(mode: 'cold' | 'prepared'): Promise<void> {
  const anchor = Date.parse('2026-11-25T09:35:00+08:00');
  const calendar = new TradingCalendar(loadMarketData());
  const universe = buildUniverse({ seed: 7, tradingDay: '20261125', products: listProducts(), instruments: N, liquidity: 'liquid' });
  const tape = new Tape(universe, { seed: 7, calendar, startMs: anchor });
  // Two bursts: each instrument's first and second snapshot.
  const snaps = tape.advance(anchor + 2000);
  const first = new Map<string, MarketTick>();
  const second = new Map<string, MarketTick>();
  for (const s of snaps) {
    if (!first.has(s.tick.symbol)) first.set(s.tick.symbol, s.tick);
    else if (!second.has(s.tick.symbol)) second.set(s.tick.symbol, s.tick);
  }
  const sources = ['a', 'b', 'c'];
  const encoders = new Map(sources.map((s) => [s, new BatchEncoder({ keyframeMs: Number.POSITIVE_INFINITY })]));
  let seq = 0;
  const burst = (ticks: MarketTick[]): Array<{ src: string; msg: Uint8Array }> => {
    const out: Array<{ src: string; msg: Uint8Array }> = [];
    for (let i = 0; i < ticks.length; i += 2500) {
      for (const src of sources) {
        const chunk = ticks.slice(i, i + 2500).map((t) => ({ ...t, localtime: t.datetime + 2, gateway_name: src }));
        out.push({ src, msg: encoders.get(src)!.encode({ runId: 'bench', gatewayId: src, batchSeq: ++seq, sentNs: 0 }, chunk) });
      }
    }
    return out;
  };
  const b1 = burst([...first.values()]);
  const b2 = burst([...second.values()]);
  const pipeline = createCleansingPipeline();
  const dp = new DataPlane({
    hubId: 'bench', runId: 'bench', clock: simulatedClock({ anchorMs: anchor + 2500 }), pubEndpoint: 'tcp://127.0.0.1:*', snapshotEndpoint: 'tcp://127.0.0.1:*', linkTransport: 'tcp', groups: [],
    check: (t, s, slot) => pipeline.check(t, s, slot),
    observe: (t, s, localtime, slot) => pipeline.observe(t, s, localtime, slot),
    prepare: (symbol, exchange, slot, source) => pipeline.prepare(symbol, exchange, slot, source),
  });
  await dp.start();
  for (const s of sources) { await dp.addGateway(s); dp.setHealth(s, true); }
  const counters = { batches: 0, handlerErrors: 0, badBatches: 0, badTicks: 0, wrongRun: 0, lastBatchSeq: 0, gaps: 0 };
  let prepareMs = 0;
  if (mode === 'prepared') {
    const t = performance.now();
    for (const s of sources) dp.prepareInstruments(universe.map((i) => ({ symbol: i.symbol, exchange: i.exchange })), s);
    prepareMs = performance.now() - t;
  }
  const run = (bs: Array<{ src: string; msg: Uint8Array }>): number => {
    const t = performance.now();
    for (const b of bs) dp.handleBatch(b.src, b.msg, counters);
    return performance.now() - t;
  };
  const firstMs = run(b1);
  await new Promise((r) => setTimeout(r, 50));
  const secondMs = run(b2);
  const published = dp.stats().seq;
  await dp.close();
  process.stdout.write(`${JSON.stringify({ mode, first_ms: firstMs, second_ms: secondMs, prepare_ms: prepareMs, published })}\n`);
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const r1 = (x: number): number => Math.round(x * 10) / 10;

if (values.child) await child(values.child as 'cold' | 'prepared');
else {
  const results: Record<string, Array<{ first_ms: number; second_ms: number; prepare_ms: number; published: number }>> = { cold: [], prepared: [] };
  for (let i = 0; i < Number(values.runs); i++) {
    for (const mode of i % 2 === 0 ? ['cold', 'prepared'] : ['prepared', 'cold']) {
      const r = spawnSync(process.execPath, [...process.execArgv, new URL(import.meta.url).pathname, '--child', mode, '--instruments', String(N)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`child ${mode} failed: ${r.stderr}`);
      const j = JSON.parse(r.stdout.trim().split('\n').at(-1)!);
      results[mode]!.push(j);
      process.stderr.write(`${r.stdout}`);
    }
  }
  const sum = (mode: string): Record<string, unknown> => {
    const xs = results[mode]!;
    return {
      first_burst_ms_median: r1(median(xs.map((x) => x.first_ms))), first_burst_ms_range: [r1(Math.min(...xs.map((x) => x.first_ms))), r1(Math.max(...xs.map((x) => x.first_ms)))],
      second_burst_ms_median: r1(median(xs.map((x) => x.second_ms))), prepare_ms_median: r1(median(xs.map((x) => x.prepare_ms))), published: xs[0]!.published,
    };
  };
  process.stdout.write(`${JSON.stringify({ bench: 'first-burst', instruments: N, copies_per_burst: N * 3, runs: Number(values.runs), cold: sum('cold'), prepared: sum('prepared') })}\n`);
}
