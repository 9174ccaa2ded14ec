import type { Exchange, MarketTick } from '@mdhub/protocol';
import { emptyMarketTick } from '@mdhub/protocol';

/** A plausible book of `symbol` at exchange time `dt` with cumulative `volume`, as gateway `a` hands it over. */
export function bookTick(symbol: string, exchange: Exchange, dt: number, volume: number): MarketTick {
  return {
    ...emptyMarketTick(symbol, exchange), datetime: dt, trading_day: '20261125', volume, last_price: 3100, bid_price_1: 3099,
    ask_price_1: 3100, bid_volume_1: 3, ask_volume_1: 4, localtime: dt + 3, gateway_name: 'a',
  };
}
