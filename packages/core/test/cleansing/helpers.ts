/** Tick builders for the cleansing tests (not a test file). */
import { emptyMarketTick } from '@mdhub/protocol';
import type { Exchange, MarketTick } from '@mdhub/protocol';
import { atShanghai } from '../../src/market/index.js';

/** Epoch ms of Shanghai `HH:MM[:SS]` on `day` plus `ms`. */
export function at(day: string, time: string, ms = 0): number {
  return atShanghai(day, time) + ms;
}

export interface Spec {
  symbol: string;
  exchange: Exchange;
  tick: number;
  mult: number;
}

export const RB: Spec = { symbol: 'rb2605', exchange: 'SHFE', tick: 1, mult: 10 };
export const CU: Spec = { symbol: 'cu2605', exchange: 'SHFE', tick: 10, mult: 5 };
export const SR: Spec = { symbol: 'SR605', exchange: 'CZCE', tick: 1, mult: 10 };
export const IF: Spec = { symbol: 'IF2604', exchange: 'CFFEX', tick: 0.2, mult: 300 };
export const ETF_OPT: Spec = { symbol: '10008123', exchange: 'SSE', tick: 0.0001, mult: 10000 };

/**
 * A consistent tick: last price, a one-tick book around it, day range, limits ±7% of 3500-ish,
 * turnover = volume × VWAP × multiplier with VWAP = `vwap` (default: last).
 */
export function tick(spec: Spec, o: Partial<MarketTick> & { vwap?: number } = {}): MarketTick {
  const t = emptyMarketTick(spec.symbol, spec.exchange);
  const last = o.last_price ?? 3500;
  t.datetime = at('20260316', '10:00:00');
  t.localtime = t.datetime + 5;
  t.trading_day = '20260316';
  t.gateway_name = 'A';
  t.pre_close = last;
  t.pre_settlement = last;
  t.limit_up = round(last * 1.07, spec.tick);
  t.limit_down = round(last * 0.93, spec.tick);
  t.open_price = last;
  t.high_price = round(last + 20 * spec.tick, spec.tick);
  t.low_price = round(last - 20 * spec.tick, spec.tick);
  t.last_price = last;
  t.volume = 1000;
  t.bid_price_1 = round(last - spec.tick, spec.tick);
  t.ask_price_1 = last;
  t.bid_volume_1 = 10;
  t.ask_volume_1 = 12;
  Object.assign(t, o);
  const vwap = o.vwap ?? t.last_price;
  if (o.turnover === undefined) t.turnover = t.volume * vwap * spec.mult;
  if (o.average_price === undefined && t.volume > 0) {
    t.average_price = spec.exchange === 'CZCE' ? round(t.turnover / t.volume / spec.mult, spec.tick) : t.turnover / t.volume;
  }
  if (o.localtime === undefined) t.localtime = t.datetime + 5;
  delete (t as { vwap?: number }).vwap;
  return t;
}

/**
 * The next snapshot after `prev`: `dt` ms later, `dv` lots traded at `price` (default: unchanged),
 * day range and book following the price. `dv = 0` is a book-only update.
 */
export function next(spec: Spec, prev: MarketTick, price = prev.last_price, dv = 2, dt = 500, o: Partial<MarketTick> = {}): MarketTick {
  const t: MarketTick = { ...prev };
  t.datetime = prev.datetime + dt;
  t.localtime = t.datetime + 5;
  if (dv > 0) {
    t.volume = prev.volume + dv;
    t.turnover = prev.turnover + dv * price * spec.mult;
    t.last_price = price;
    t.last_volume = dv;
    if (price > t.high_price) t.high_price = price;
    if (price < t.low_price) t.low_price = price;
    t.average_price = spec.exchange === 'CZCE' ? round(t.turnover / t.volume / spec.mult, spec.tick) : t.turnover / t.volume;
  } else {
    t.last_volume = 0;
  }
  t.bid_price_1 = round(t.last_price - spec.tick, spec.tick);
  t.ask_price_1 = t.last_price;
  if (t.ask_price_1 > t.limit_up) t.ask_price_1 = 0;
  t.bid_volume_1 = 5 + ((t.datetime / 500) % 7);
  t.ask_volume_1 = t.ask_price_1 > 0 ? 7 : 0;
  Object.assign(t, o);
  if (o.localtime === undefined) t.localtime = t.datetime + 5;
  return t;
}

export function round(p: number, tick: number): number {
  const dec = Math.max(0, Math.ceil(-Math.log10(tick) - 1e-9));
  return Number((Math.round(p / tick) * tick).toFixed(dec));
}
