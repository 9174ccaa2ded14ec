/**
 * The slice of the market module the simulator needs: core's public market types, and `CalendarLike`,
 * what the tape calls on a calendar (core's `TradingCalendar` or a test double).
 */
import type { Auction, ProductSpec, Segment, SessionTemplateId } from '@mdhub/core/plugin';

/** Session template ids (core's `SessionTemplateId`). */
export type SimSessionTemplateId = SessionTemplateId;

/** A product as the market module describes it (core's `ProductSpec`). */
export type SimProductSpec = ProductSpec;

/** One trading segment, epoch ms, [start, end) (core's `Segment`). */
export type SimSegment = Segment;

/** One call auction, epoch ms (core's `Auction`). */
export type SimAuction = Auction;

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
