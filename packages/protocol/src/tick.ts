/**
 * The tick: vn.py's TickData field names (snake_case), plus the fields the hub adds.
 *
 * Market numbers (prices, volumes, turnover, open interest) are floats on the wire, as vn.py's
 * TickData declares them; `datetime`, `localtime`, `seq`, `iseq` and the hub timestamps are integers.
 * An absent price is 0 (vn.py users compare with 0).
 */
export type Exchange = 'SHFE' | 'DCE' | 'CZCE' | 'CFFEX' | 'INE' | 'GFEX' | 'SSE' | 'SZSE';

export const EXCHANGES: readonly Exchange[] = ['SHFE', 'DCE', 'CZCE', 'CFFEX', 'INE', 'GFEX', 'SSE', 'SZSE'];

/** What a source (gateway) delivers: the exchange-given market state plus where and when it arrived. */
export interface MarketTick {
  symbol: string;
  exchange: Exchange;
  /** Exchange timestamp, epoch milliseconds (UTC based; the exchange clock is Asia/Shanghai). */
  datetime: number;
  /** Trading day the snapshot belongs to, `YYYYMMDD` (calendar-driven, not the gateway's local date). */
  trading_day: string;
  name: string;
  volume: number;
  turnover: number;
  open_interest: number;
  last_price: number;
  last_volume: number;
  limit_up: number;
  limit_down: number;
  open_price: number;
  high_price: number;
  low_price: number;
  pre_close: number;
  pre_settlement: number;
  settlement: number;
  average_price: number;
  pre_open_interest: number;
  bid_price_1: number;
  bid_price_2: number;
  bid_price_3: number;
  bid_price_4: number;
  bid_price_5: number;
  ask_price_1: number;
  ask_price_2: number;
  ask_price_3: number;
  ask_price_4: number;
  ask_price_5: number;
  bid_volume_1: number;
  bid_volume_2: number;
  bid_volume_3: number;
  bid_volume_4: number;
  bid_volume_5: number;
  ask_volume_1: number;
  ask_volume_2: number;
  ask_volume_3: number;
  ask_volume_4: number;
  ask_volume_5: number;
  /** When the gateway received the snapshot, epoch milliseconds on the market clock. */
  localtime: number;
  /** The source instance (gateway) that delivered this copy. */
  gateway_name: string;
}

/** What the hub publishes: a market tick plus the hub's metadata. */
export interface Tick extends MarketTick {
  /** Hub-wide sequence number of published ticks, starting at 1 for each run. */
  seq: number;
  /** Per-instrument sequence number, starting at 1 for each run (gap detection per instrument). */
  iseq: number;
  /** Id of the source whose copy won the race (same as gateway_name). */
  source: string;
  /**
   * When the winning source's gateway process handed the copy to the data link, epoch microseconds
   * (same machine's clock as the hub timestamps: gateway → hub latency is hub_recv_ts − gw_recv_ts).
   */
  gw_recv_ts: number;
  /** Hub receive time (the core took the copy off the gateway link), epoch microseconds. */
  hub_recv_ts: number;
  /** Hub publish time, epoch microseconds. */
  hub_pub_ts: number;
  /** The hub's run id: changes on every hub start; seq and iseq restart with it. */
  run_id: string;
}

/** Float-valued market fields, in wire order. */
export const FLOAT_FIELDS = [
  'volume', 'turnover', 'open_interest', 'last_price', 'last_volume', 'limit_up', 'limit_down',
  'open_price', 'high_price', 'low_price', 'pre_close', 'pre_settlement', 'settlement', 'average_price',
  'pre_open_interest',
  'bid_price_1', 'bid_price_2', 'bid_price_3', 'bid_price_4', 'bid_price_5',
  'ask_price_1', 'ask_price_2', 'ask_price_3', 'ask_price_4', 'ask_price_5',
  'bid_volume_1', 'bid_volume_2', 'bid_volume_3', 'bid_volume_4', 'bid_volume_5',
  'ask_volume_1', 'ask_volume_2', 'ask_volume_3', 'ask_volume_4', 'ask_volume_5',
] as const satisfies readonly (keyof MarketTick)[];

export type FloatField = (typeof FLOAT_FIELDS)[number];

/**
 * The market numbers a state key covers: every FLOAT_FIELDS value but `last_volume`, which no exchange
 * sends (a gateway derives it from the previous snapshot it saw, so two sources that saw different
 * snapshots before the same one would otherwise make one market state look like two).
 */
export const STATE_KEY_FIELDS = FLOAT_FIELDS.filter((f) => f !== 'last_volume') as readonly FloatField[];

/** Price fields (a subset of FLOAT_FIELDS) where 0 means "absent". */
export const PRICE_FIELDS = [
  'last_price', 'limit_up', 'limit_down', 'open_price', 'high_price', 'low_price', 'pre_close',
  'pre_settlement', 'settlement', 'average_price',
  'bid_price_1', 'bid_price_2', 'bid_price_3', 'bid_price_4', 'bid_price_5',
  'ask_price_1', 'ask_price_2', 'ask_price_3', 'ask_price_4', 'ask_price_5',
] as const satisfies readonly FloatField[];

/** vn.py's `vt_symbol`: `rb2601.SHFE`. */
export function vtSymbol(t: Pick<MarketTick, 'symbol' | 'exchange'>): string {
  return `${t.symbol}.${t.exchange}`;
}

/** Splits `rb2601.SHFE` into symbol and exchange; null when the form is wrong. */
export function parseVtSymbol(vt: string): { symbol: string; exchange: Exchange } | null {
  const dot = vt.lastIndexOf('.');
  if (dot <= 0 || dot === vt.length - 1) return null;
  const exchange = vt.slice(dot + 1) as Exchange;
  if (!EXCHANGES.includes(exchange)) return null;
  return { symbol: vt.slice(0, dot), exchange };
}

/** A market tick with every number zero: a convenient base for builders and tests. */
export function emptyMarketTick(symbol: string, exchange: Exchange): MarketTick {
  const t = { symbol, exchange, datetime: 0, trading_day: '', name: '', localtime: 0, gateway_name: '' } as MarketTick;
  for (const f of FLOAT_FIELDS) t[f] = 0;
  return t;
}
