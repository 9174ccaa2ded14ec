/**
 * The small, structural slice of the market module (packages/core/src/market) that the simulator
 * needs. gateway-sim deliberately does not import core internals: callers pass the real
 * `TradingCalendar` and `ProductSpec[]` (they satisfy these interfaces structurally) or a test double.
 */
import type { Exchange } from '@mdhub/protocol';

/** Session template ids, as in markets.json (same union as core's `SessionTemplateId`). */
export type SimSessionTemplateId =
  | 'commodity_day' | 'commodity_night_2300' | 'commodity_night_0100' | 'commodity_night_0230'
  | 'cffex_index' | 'cffex_bond' | 'cffex_index_option' | 'etf_option';

/** A product as the market module describes it (structurally core's `ProductSpec`). */
export interface SimProductSpec {
  exchange: Exchange;
  /** Product code: `rb`, `SR`, `IF`, `510050`, `IO`, `m` or `m_o` (option products may carry a suffix). */
  product: string;
  kind: 'future' | 'option';
  name_cn: string;
  name_en: string;
  multiplier: number;
  price_tick: number;
  limit_pct: number | null;
  session: SimSessionTemplateId;
  underlying?: string;
}

/** One trading segment, epoch ms, [start, end) (structurally core's `Segment`). */
export interface SimSegment {
  start: number;
  end: number;
  part: 'night' | 'day';
}

/** One call auction, epoch ms (structurally core's `Auction`). */
export interface SimAuction {
  phase: 'night_open' | 'day_open' | 'open' | 'close';
  entryStart: number;
  matchStart: number;
  end: number;
}

/**
 * What the tape needs from the trading calendar. Trading days are passed through as the calendar
 * spells them (`YYYY-MM-DD` or `YYYYMMDD`); ticks carry them as `YYYYMMDD`.
 */
export interface CalendarLike {
  /** Segments of one trading day in trading-day order (night first, belonging to that day). */
  segments(template: SimSessionTemplateId, tradingDay: string): SimSegment[];
  /** Call auctions of one trading day. */
  auctions(template: SimSessionTemplateId, tradingDay: string): SimAuction[];
  /** The first trading day strictly after `day`. */
  nextTradingDay(day: string): string;
  /** The last trading day strictly before `day`. */
  prevTradingDay(day: string): string;
}
