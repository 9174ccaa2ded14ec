import { expect } from 'vitest';
import type { Tick } from '@mdhub/protocol';
import { stateKey } from '@mdhub/protocol';
import { TradingCalendar, listProducts, loadMarketData } from '@mdhub/core';
import { Tape, buildUniverse } from '@mdhub/gateway-sim';
import type { HubProcess } from './helpers.js';

/** The demo market's seed (store/seed.ts) and universe size. */
export const MARKET_SEED = 20260101;

/** The demo market's tape for a hub's run (its anchor), and the window the subscription surely covered. */
export function tapeFor(h: HubProcess, got: readonly Tick[]): { tape: Tape; from: number; to: number } {
  const calendar = new TradingCalendar(loadMarketData());
  const anchor = h.ready.clock.anchorMs;
  const universe = buildUniverse({ seed: MARKET_SEED, tradingDay: calendar.tradingDayAt('commodity_day', anchor)!, products: listProducts(), instruments: 300 });
  const arrivals = got.map((t) => t.localtime);
  return { tape: new Tape(universe, { seed: MARKET_SEED, calendar, startMs: anchor }), from: Math.min(...arrivals) + 1500, to: Math.max(...arrivals) - 1500 };
}

/** The stream is clean: no state published twice, per instrument `iseq` contiguous and `datetime` never back. Returns the state keys. */
export function checkStream(got: readonly Tick[]): Set<number> {
  const keys = new Set<number>();
  const last = new Map<string, Tick>();
  for (const t of got) {
    const k = stateKey(t);
    expect(keys.has(k), `${t.symbol}.${t.exchange} @${t.datetime} published twice`).toBe(false);
    keys.add(k);
    const vt = `${t.symbol}.${t.exchange}`;
    const p = last.get(vt);
    if (p) {
      expect(t.iseq, vt).toBe(p.iseq + 1);
      expect(t.datetime >= p.datetime, vt).toBe(true);
    }
    last.set(vt, t);
  }
  return keys;
}

/** Compares what the client got with the tape for the window where the subscription surely covered it. */
export function compareWithTape(h: HubProcess, got: Tick[]): { expected: number; window: [number, number] } {
  const { tape, from, to } = tapeFor(h, got);
  expect(to - from).toBeGreaterThan(4000);
  const expected = tape.advance(to).filter((s) => s.emitMs >= from);

  // No duplicates: each market state once.
  const keys = new Map<number, Tick>();
  for (const t of got) {
    const k = stateKey(t);
    expect(keys.has(k), `duplicate state ${t.symbol}.${t.exchange} @${t.datetime}`).toBe(false);
    keys.set(k, t);
  }
  // Nothing missing in the window, and every copy equal to the tape in every exchange field.
  const missing = expected.filter((s) => !keys.has(stateKey(s.tick)));
  expect(missing.map((s) => `${s.tick.symbol}@${s.emitMs}`).slice(0, 10)).toEqual([]);
  // Nothing invented: every received state inside the window is on the tape.
  const tapeKeys = new Set(expected.map((s) => stateKey(s.tick)));
  const inWindow = got.filter((t) => t.datetime >= from + 1000 && t.datetime <= to - 1000);
  const invented = inWindow.filter((t) => !tapeKeys.has(stateKey(t)));
  // Named, so a failure says what slipped through: the tape's state at that time and the copy published.
  const byTime = new Map(expected.map((s) => [`${s.tick.symbol}|${s.tick.datetime}|${s.tick.volume}`, s.tick]));
  expect(invented.map((t) => {
    const truth = byTime.get(`${t.symbol}|${t.datetime}|${t.volume}`);
    const diff = truth ? Object.keys(truth).filter((k) => (truth as unknown as Record<string, unknown>)[k] !== (t as unknown as Record<string, unknown>)[k] && !['localtime', 'gateway_name'].includes(k)).map((k) => `${k}: ${String((truth as unknown as Record<string, unknown>)[k])} → ${String((t as unknown as Record<string, unknown>)[k])}`) : ['no tape state at that datetime and volume'];
    return `${t.symbol}.${t.exchange}@${t.datetime} from ${t.source}: ${diff.slice(0, 6).join(', ')}`;
  })).toEqual([]);
  // Order: seq strictly increasing; per instrument iseq contiguous and datetime/volume monotonic.
  for (let i = 1; i < got.length; i++) expect(got[i]!.seq).toBeGreaterThan(got[i - 1]!.seq);
  const last = new Map<string, Tick>();
  for (const t of got) {
    const vt = `${t.symbol}.${t.exchange}`;
    const p = last.get(vt);
    if (p) {
      expect(t.iseq, vt).toBe(p.iseq + 1);
      expect(t.datetime >= p.datetime, vt).toBe(true);
      if (t.trading_day === p.trading_day) expect(t.volume >= p.volume, vt).toBe(true);
    }
    last.set(vt, t);
  }
  return { expected: expected.length, window: [from, to] };
}

