/**
 * Property: a clean simulated stream (gateway-sim Tape) passes the default pipeline untouched, from
 * several sources, across the day close, the new trading day's night auction (volume reset, open gap)
 * and the night session crossing midnight.
 */
import type { MarketTick } from '@mdhub/protocol';
import { describe, expect, it } from 'vitest';
import { createCleansingPipeline } from '../../src/cleansing/index.js';
import { listProducts, marketCalendar } from '../../src/market/index.js';
import { Tape } from '../../../gateway-sim/src/tape.js';
import { buildUniverse } from '../../../gateway-sim/src/universe.js';
import { at } from './helpers.js';

describe('clean simulated stream', () => {
  it('passes every snapshot of every source, across sessions and midnight', () => {
    const calendar = marketCalendar();
    const universe = buildUniverse({ seed: 42, tradingDay: '20260316', products: listProducts(), instruments: 120 });
    const tape = new Tape(universe, { seed: 9, calendar, startMs: at('20260316', '14:58') });
    const p = createCleansingPipeline();
    const windows: [number, number][] = [
      [at('20260316', '14:58'), at('20260316', '15:16')],
      [at('20260316', '20:55'), at('20260316', '21:03')],
      [at('20260316', '22:59'), at('20260316', '23:01')],
      [at('20260316', '23:58'), at('20260317', '00:03')],
      [at('20260317', '00:59'), at('20260317', '01:01')],
      [at('20260317', '02:29'), at('20260317', '02:31')],
    ];
    const rejected: { rule: string; reason: string; symbol: string }[] = [];
    let n = 0;
    let afterMidnight = 0;
    const days = new Set<string>();
    for (const [from, to] of windows) {
      tape.fastForward(from);
      for (const snap of tape.advance(to)) {
        for (const [src, lag] of [['A', 3], ['B', 25]] as const) {
          const t: MarketTick = { ...snap.tick, gateway_name: src, localtime: snap.emitMs + lag };
          const r = p.check(t);
          n++;
          if (!r.ok && rejected.length < 10) rejected.push({ rule: r.rule, reason: r.reason, symbol: t.symbol });
        }
        days.add(snap.tick.trading_day);
        if (snap.tick.datetime >= at('20260317', '00:00')) afterMidnight++;
      }
    }
    expect(rejected).toEqual([]);
    expect(p.stats().rejected).toBe(0);
    expect(n).toBeGreaterThan(5_000);
    expect(afterMidnight).toBeGreaterThan(100);
    expect([...days].sort()).toEqual(['20260316', '20260317']);
  });
});
