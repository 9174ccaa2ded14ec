/** Test fixtures: the real market module (calendar + products) from packages/core, imported relatively. */
import { TradingCalendar, listProducts, atShanghai, shanghaiTime } from '../../core/src/market/index.js';
import type { MarketTick } from '@mdhub/protocol';
import { buildUniverse } from '../src/universe.js';
import type { SimInstrument } from '../src/universe.js';
import { Tape } from '../src/tape.js';
import type { TapeSnapshot } from '../src/tape.js';

export const calendar = new TradingCalendar();
export const products = listProducts();
export { atShanghai, shanghaiTime };

export function universe(seed = 7, instruments?: number): SimInstrument[] {
  return buildUniverse({ seed, tradingDay: '20260106', products, ...(instruments === undefined ? {} : { instruments }) });
}

export function tapeRun(u: SimInstrument[], seed: number, startMs: number, toMs: number): TapeSnapshot[] {
  return new Tape(u, { seed, calendar, startMs }).advance(toMs);
}

export function onGrid(price: number, tick: number): boolean {
  const q = price / tick;
  return Math.abs(q - Math.round(q)) < 1e-6;
}

/** Exchange-given fields only (not localtime / gateway_name). */
export function exchangeFields(t: MarketTick): Omit<MarketTick, 'localtime' | 'gateway_name'> {
  const { localtime, gateway_name, ...rest } = t;
  void localtime;
  void gateway_name;
  return rest;
}

export function byInstrument(snaps: TapeSnapshot[]): Map<number, TapeSnapshot[]> {
  const m = new Map<number, TapeSnapshot[]>();
  for (const s of snaps) {
    let l = m.get(s.index);
    if (!l) m.set(s.index, (l = []));
    l.push(s);
  }
  return m;
}

/** The instruments matching `pick`, re-indexed 0..n-1 (a tape over them yields the same ticks per instrument). */
export function subset(u: SimInstrument[], pick: (i: SimInstrument) => boolean): SimInstrument[] {
  return u.filter(pick).map((i, k) => ({ ...i, index: k }));
}
