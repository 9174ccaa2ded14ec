#!/usr/bin/env node
// Test helper for the Python suite: compares what a Python client received with the simulated exchange's
// ground-truth tape, with the same functions the TypeScript e2e test uses (tests/e2e/tape-check.ts):
// the demo market's universe and tape for the hub's anchor, and @mdhub/protocol's stateKey.
//
//   node python/tests/tape_check.mjs READY_JSON TICKS_JSON
//
// TICKS_JSON is a list of wire tick maps (datetime and localtime in epoch ms) in the order the client
// delivered them. Prints one JSON object: {expected, window, received, missing[], duplicates[], invented[]}.
import fs from 'node:fs';
import { stateKey } from '@mdhub/protocol';
import { TradingCalendar, listProducts, loadMarketData } from '@mdhub/core';
import { Tape, buildUniverse } from '@mdhub/gateway-sim';

/** The demo market's seed (packages/core store/seed.ts) and universe size, as tests/e2e/tape-check.ts. */
const MARKET_SEED = 20260101;

const [readyFile, ticksFile] = process.argv.slice(2);
const ready = JSON.parse(fs.readFileSync(readyFile, 'utf8'));
const got = JSON.parse(fs.readFileSync(ticksFile, 'utf8'));
const calendar = new TradingCalendar(loadMarketData());
const anchor = ready.clock.anchorMs;
const universe = buildUniverse({ seed: MARKET_SEED, tradingDay: calendar.tradingDayAt('commodity_day', anchor), products: listProducts(), instruments: 300 });
const tape = new Tape(universe, { seed: MARKET_SEED, calendar, startMs: anchor });
// The window the subscription surely covered: 1.5 s inside the first and last arrival (market clock).
const arrivals = got.filter((t) => !t.from_snapshot).map((t) => t.localtime);
const from = Math.min(...arrivals) + 1500;
const to = Math.max(...arrivals) - 1500;
const expected = tape.advance(to).filter((s) => s.emitMs >= from);

const keys = new Map();
const duplicates = [];
for (const t of got) {
  const k = stateKey(t);
  if (keys.has(k)) duplicates.push(`${t.symbol}.${t.exchange}@${t.datetime} iseq ${t.iseq}`);
  keys.set(k, t);
}
const missing = expected.filter((s) => !keys.has(stateKey(s.tick))).map((s) => `${s.tick.symbol}.${s.tick.exchange}@${s.emitMs}`);
const tapeKeys = new Set(expected.map((s) => stateKey(s.tick)));
const invented = got
  .filter((t) => !t.from_snapshot && t.datetime >= from + 1000 && t.datetime <= to - 1000 && !tapeKeys.has(stateKey(t)))
  .map((t) => `${t.symbol}.${t.exchange}@${t.datetime} from ${t.source}`);
console.log(JSON.stringify({ expected: expected.length, window: [from, to], received: got.length, missing: missing.slice(0, 20), missing_count: missing.length, duplicates: duplicates.slice(0, 20), invented: invented.slice(0, 20) }));
