/**
 * A vendor depth snapshot → a MarketTick, by vn.py's rules (vendor ABI spec §8) through the one shared
 * dating function `vendorTime`:
 * - a snapshot with an empty UpdateTime is dropped, and so is one of an instrument this gateway did not
 *   subscribe (vn.py drops instruments its contract table lacks);
 * - the exchange comes from the reference data, not the md ExchangeID (often blank on CTP fronts);
 * - datetime and trading_day come from `vendorTime` (UpdateTime + UpdateMillisec, zero-padded, dated by the
 *   local receive time: DCE's night ActionDay and CZCE's TradingDay are never used, midnight is crossed
 *   correctly, CZCE's missing milliseconds are .000);
 * - absent prices (DBL_MAX, already 0 from the binding) are 0; levels 2–5 only when BidVolume2 or
 *   AskVolume2 is non-zero (CTP; SOPT copies them always);
 * - CZCE Turnover is in yuan: a front that computed it without the multiplier (older back-ends, the
 *   multicast mdfront: Turnover = AveragePrice × Volume) is corrected;
 * - last_volume is the volume since this gateway's previous snapshot of the instrument that trading day
 *   (0 for the first); the hub recomputes it from what it published.
 */
import type { Exchange, MarketTick } from '@mdhub/protocol';
import type { InstrumentRef, SessionTemplateId, TradingCalendar } from '@mdhub/core/plugin';
import { productOfSymbol, vendorTime } from '@mdhub/core/plugin';
import type { DepthEvent, Flavour } from './native.js';

/** Why a snapshot was not turned into a tick (counted per reason). */
export type DropReason = 'no_update_time' | 'unknown_instrument' | 'bad_time';

interface Meta {
  symbol: string;
  exchange: Exchange;
  name: string;
  multiplier: number;
  template: SessionTemplateId;
  /** This gateway's previous snapshot of the instrument (last_volume). */
  prevDay: string;
  prevVolume: number;
}

/** The session template of an instrument: its product's, else the exchange's usual one. */
export function templateOf(symbol: string, exchange: Exchange, hint?: string): SessionTemplateId {
  const p = productOfSymbol(symbol, exchange, hint);
  if (p) return p.session;
  if (exchange === 'SSE' || exchange === 'SZSE') return 'etf_option';
  if (exchange === 'CFFEX') return 'cffex_index';
  return 'commodity_day';
}

export class DepthConverter {
  private readonly bySymbol = new Map<string, Meta>();
  private readonly byVt = new Map<string, Meta>();
  readonly dropped: Record<DropReason, number> = { no_update_time: 0, unknown_instrument: 0, bad_time: 0 };
  converted = 0;

  constructor(private readonly calendar: TradingCalendar, private readonly gatewayName: string, private readonly flavour: Flavour) {}

  /** The instruments this gateway subscribed, with their reference data. */
  setInstruments(list: readonly InstrumentRef[]): void {
    this.bySymbol.clear();
    this.byVt.clear();
    for (const r of list) {
      const p = productOfSymbol(r.symbol, r.exchange, r.underlying ?? r.product);
      const meta: Meta = {
        symbol: r.symbol, exchange: r.exchange, name: r.name ?? '', multiplier: r.multiplier ?? p?.multiplier ?? 1,
        template: p?.session ?? templateOf(r.symbol, r.exchange), prevDay: '', prevVolume: 0,
      };
      if (!this.bySymbol.has(r.symbol)) this.bySymbol.set(r.symbol, meta);
      this.byVt.set(`${r.symbol}.${r.exchange}`, meta);
    }
  }

  get instruments(): number {
    return this.byVt.size;
  }

  /** Converts one snapshot received at `localMs` (market clock, epoch ms); a reason when it is dropped. */
  convert(e: DepthEvent, localMs: number): MarketTick | DropReason {
    if (e.update_time === '') return this.drop('no_update_time');
    // The md ExchangeID only picks between two instruments sharing an id on different exchanges.
    const meta = (e.exchange_id !== '' ? this.byVt.get(`${e.symbol}.${e.exchange_id}`) : undefined) ?? this.bySymbol.get(e.symbol);
    if (!meta) return this.drop('unknown_instrument');
    const when = vendorTime({
      exchange: meta.exchange, updateTime: e.update_time, updateMillisec: e.update_millisec, actionDay: e.action_day, tradingDay: e.vendor_trading_day,
      localMs, template: meta.template,
    }, this.calendar);
    if ('error' in when) return this.drop('bad_time');
    const deep = this.flavour === 'sopt' || e.bid_volume_2 !== 0 || e.ask_volume_2 !== 0;
    let turnover = e.turnover;
    if (meta.exchange === 'CZCE') turnover = czceTurnover(e.turnover, e.volume, e.average_price, meta.multiplier);
    const lastVolume = meta.prevDay === when.trading_day && e.volume >= meta.prevVolume ? e.volume - meta.prevVolume : 0;
    meta.prevDay = when.trading_day;
    meta.prevVolume = e.volume;
    this.converted++;
    return {
      symbol: meta.symbol, exchange: meta.exchange, datetime: when.datetime, trading_day: when.trading_day, name: meta.name,
      volume: e.volume, turnover, open_interest: e.open_interest, last_price: e.last_price, last_volume: lastVolume,
      limit_up: e.limit_up, limit_down: e.limit_down, open_price: e.open_price, high_price: e.high_price, low_price: e.low_price,
      pre_close: e.pre_close, pre_settlement: e.pre_settlement, settlement: e.settlement, average_price: e.average_price, pre_open_interest: e.pre_open_interest,
      bid_price_1: e.bid_price_1, bid_price_2: deep ? e.bid_price_2 : 0, bid_price_3: deep ? e.bid_price_3 : 0, bid_price_4: deep ? e.bid_price_4 : 0, bid_price_5: deep ? e.bid_price_5 : 0,
      ask_price_1: e.ask_price_1, ask_price_2: deep ? e.ask_price_2 : 0, ask_price_3: deep ? e.ask_price_3 : 0, ask_price_4: deep ? e.ask_price_4 : 0, ask_price_5: deep ? e.ask_price_5 : 0,
      bid_volume_1: e.bid_volume_1, bid_volume_2: deep ? e.bid_volume_2 : 0, bid_volume_3: deep ? e.bid_volume_3 : 0, bid_volume_4: deep ? e.bid_volume_4 : 0, bid_volume_5: deep ? e.bid_volume_5 : 0,
      ask_volume_1: e.ask_volume_1, ask_volume_2: deep ? e.ask_volume_2 : 0, ask_volume_3: deep ? e.ask_volume_3 : 0, ask_volume_4: deep ? e.ask_volume_4 : 0, ask_volume_5: deep ? e.ask_volume_5 : 0,
      localtime: Math.round(localMs), gateway_name: this.gatewayName,
    };
  }

  private drop(reason: DropReason): DropReason {
    this.dropped[reason]++;
    return reason;
  }
}

/**
 * CZCE Turnover in yuan. The exchange sends AveragePrice (a plain price) and no Turnover; CTP computes
 * Turnover = AveragePrice × Volume × multiplier on TCP fronts with back-end ≥ 6.7.1, but AveragePrice ×
 * Volume on older back-ends and the multicast mdfront (markets.md §5). Whichever the ratio
 * Turnover / (Volume × AveragePrice) is nearer to, 1 or the multiplier, tells which front this is.
 */
export function czceTurnover(turnover: number, volume: number, averagePrice: number, multiplier: number): number {
  if (!(volume > 0) || !(averagePrice > 0) || !(multiplier > 1) || !(turnover > 0)) return turnover;
  const r = turnover / (volume * averagePrice);
  return Math.abs(r - 1) < Math.abs(r - multiplier) ? turnover * multiplier : turnover;
}
