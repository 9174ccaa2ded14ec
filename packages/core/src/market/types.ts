/**
 * Contract of the market module: products, sessions, the trading calendar and the market clock.
 * Built from packages/core/data/markets.json (a copy of shared/data/markets.json). Times of day are
 * Asia/Shanghai (UTC+8, no daylight saving), computed with a fixed +08:00 offset so nothing depends
 * on the host's TZ. Epoch values are milliseconds.
 */
import type { Exchange } from '@mdhub/protocol';

export type SessionTemplateId =
  | 'commodity_day' | 'commodity_night_2300' | 'commodity_night_0100' | 'commodity_night_0230'
  | 'cffex_index' | 'cffex_bond' | 'cffex_index_option' | 'etf_option';

export interface ProductSpec {
  exchange: Exchange;
  /** Product code as in markets.json: `rb`, `SR`, `IF`, `510050`, `IO`, `m` (for options, the underlying product). */
  product: string;
  kind: 'future' | 'option';
  name_cn: string;
  name_en: string;
  /** CTP VolumeMultiple: yuan per 1.0 of price per lot. */
  multiplier: number;
  price_tick: number;
  /** Typical daily limit in percent; null where the limit is a formula (ETF options). */
  limit_pct: number | null;
  session: SessionTemplateId;
  underlying?: string;
  /** The product's id in markets.json, unique per exchange (`m_o` for soybean-meal options, `l_f`, `rb`). */
  key?: string;
  /** Fields the data marks as unconfirmed (e.g. `price_tick`). */
  unconfirmed?: string[];
  /** Example instrument id from markets.json, when given. */
  id_example?: string;
}

/** One auction rule of a session template, as parsed from markets.json `auctions` (times 'HH:MM'). */
export interface AuctionRule {
  phase: Auction['phase'];
  entryStart: string;
  /** Matching starts; the auction-result snapshot falls in the minute from here (09:25 for ETF options). */
  matchStart: string;
  end: string;
}

/** Validated content of markets.json, as the market module uses it. Calendar days are 'YYYYMMDD'. */
export interface MarketData {
  version: string;
  /** Segments per template in trading-day order, ['HH:MM', 'HH:MM'] (night end may be past midnight). */
  sessions: Record<SessionTemplateId, Array<[string, string]>>;
  /** Auction rules per template; night-only rules carry phase 'night_open'. */
  auctions: Record<SessionTemplateId, AuctionRule[]>;
  products: ProductSpec[];
  /** Weekday closures (YYYYMMDD) of every year with holiday data. */
  holidays: string[];
  /** Years (e.g. 2026) for which holiday data exists. */
  holidayYears: number[];
  /** Evenings (YYYYMMDD) without a night session, including entries marked expected/unconfirmed. */
  noNightEvenings: string[];
  /** First trading days after a closure (no night segment precedes them). */
  firstTradingDayAfterClosure: string[];
}

/** One trading segment of one trading day, epoch ms, [start, end). */
export interface Segment {
  start: number;
  end: number;
  /** 'night' for the 21:00 segment (belongs to the NEXT trading day), else 'day'. */
  part: 'night' | 'day';
}

/** A call auction of one trading day: order entry and matching windows, epoch ms. */
export interface Auction {
  phase: 'night_open' | 'day_open' | 'open' | 'close';
  entryStart: number;
  matchStart: number;
  /** The moment continuous trading starts (end of matching). */
  end: number;
}

export interface Clock {
  /** Market time now, epoch ms (shifted on simulated hubs). */
  now(): number;
  /** Monotonic nanoseconds (process.hrtime.bigint as a number): for latency, never the market clock. */
  monoNs(): number;
  /** True when the market clock is shifted (simulated sources). */
  readonly simulated: boolean;
  /** Market milliseconds per real millisecond (1 = real time; >1 speeds timers up in tests). */
  readonly rate: number;
  /** Parameters that rebuild the same clock in another process. */
  toJSON(): ClockParams;
}

export interface ClockParams {
  simulated: boolean;
  /** Market epoch ms at monoRefNs. */
  anchorMs: number;
  /** process.hrtime.bigint() value (as a number) at which market time was anchorMs. */
  monoRefNs: number;
  rate: number;
}
