import type { Exchange } from '@mdhub/protocol';
import { marketCalendar, productOfSymbol } from '../market/index.js';
import type { TradingCalendar } from '../market/index.js';
import type { CleansingMarket, InstrumentSpec } from './types.js';

/**
 * The default {@link CleansingMarket}: products from markets.json (`productOfSymbol`) and the shared
 * trading calendar. Instrument lookups are memoised (the pipeline asks once per instrument anyway).
 */
export function defaultCleansingMarket(calendar: TradingCalendar = marketCalendar()): CleansingMarket {
  return {
    instrument(symbol: string, exchange: Exchange): InstrumentSpec | undefined {
      const p = productOfSymbol(symbol, exchange);
      if (!p) return undefined;
      return { product: p.key ?? p.product, kind: p.kind, priceTick: p.price_tick, multiplier: p.multiplier, session: p.session };
    },
    segments: (template, tradingDay) => calendar.segments(template, tradingDay),
    auctions: (template, tradingDay) => calendar.auctions(template, tradingDay),
    tradingDayAt: (template, ms) => calendar.tradingDayAt(template, ms),
  };
}
