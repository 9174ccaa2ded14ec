/** Market module: products, trading calendar and sessions, market clock, vendor time. */
export type {
  SessionTemplateId, ProductSpec, Segment, Auction, AuctionRule, Clock, ClockParams, MarketData,
} from './types.js';
export { MARKET_ERRORS, MarketError } from './errors.js';
export type { MarketErrorCode } from './errors.js';
export {
  SHANGHAI_OFFSET_MS, DAY_MS, shanghaiDate, shanghaiTime, shanghaiMsOfDay, atShanghai, timeOfDayMs,
  dayNumber, dayFromNumber, addDays, weekday, isValidDay,
} from './time.js';
export {
  SESSION_TEMPLATES, parseMarketData, loadMarketData, listProducts, findProduct, productOfSymbol,
} from './products.js';
export {
  TradingCalendar, marketCalendar, useMarketCalendar, TRADING_DAY_ROLL, NIGHT_TAIL_END, DATA_EXPIRY_WARN_DAYS,
} from './calendar.js';
export { systemClock, simulatedClock, clockFromParams, defaultSimAnchor, resumeSimAnchor, marketSleep } from './clock.js';
export type { SimulatedClockOptions } from './clock.js';
export { vendorTime } from './vendor-time.js';
export type { VendorTimeInput, VendorTimeResult } from './vendor-time.js';
export { parseInstrumentPattern, parseInstrumentPatterns, matchesPattern, matchesAny } from './patterns.js';
export type { InstrumentPattern } from './patterns.js';
export {
  tradingWindows, windowAt, nextWindow, scheduleVerdict, inSchedule, crontabLines, zoneOffsetMin, weekdayField, shanghaiLabel,
  DEFAULT_LEAD_MIN, DEFAULT_LAG_MIN, START_GRACE_MIN, SCHEDULE_EARLY_MIN, SCHEDULE_LATE_MIN,
} from './schedule.js';
export type { TradingWindow, ScheduleVerdict, CrontabOptions } from './schedule.js';
// calendar-import.ts (zod) stays out of this barrel: the light plugin API and gateway children load it.
