/**
 * The one place where vendor time fields become a tick's `datetime` and `trading_day`. Every gateway
 * calls it, so two gateways never date the same snapshot differently.
 */
import type { Exchange } from '@mdhub/protocol';
import type { TradingCalendar } from './calendar.js';
import { DAY_MS, SHANGHAI_OFFSET_MS, shanghaiDate } from './time.js';
import type { SessionTemplateId } from './types.js';

/** Vendor fields of one snapshot (CTP names). */
export interface VendorTimeInput {
  exchange: Exchange;
  /** UpdateTime, 'HH:MM:SS' (a 1-digit hour is accepted). */
  updateTime: string;
  /** UpdateMillisec, 0–999 (DCE any value, CZCE always 0, SHFE/INE/CFFEX 0 or 500). */
  updateMillisec: number;
  /** ActionDay as sent. Never used for dating (DCE sends the trading day at night). */
  actionDay?: string;
  /** TradingDay as sent. Never used for dating (unreliable at night on CZCE). */
  tradingDay?: string;
  /** When the gateway received the snapshot, epoch ms (local clock). */
  localMs: number;
  /** Session template of the instrument's product. */
  template: SessionTemplateId;
}

/** Result of {@link vendorTime}. */
export type VendorTimeResult = { datetime: number; trading_day: string } | { error: 'MDH_ERR_VENDOR_BAD_TIME' };

const UPDATE_TIME_RE = /^(\d{1,2}):(\d{2}):(\d{2})$/;

/** The digit at `i` of `s`, or -1. */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** Milliseconds since midnight of UpdateTime + UpdateMillisec, or undefined when malformed. */
function vendorMsOfDay(updateTime: string, millis: number): number | undefined {
  if (!Number.isInteger(millis) || millis < 0 || millis > 999) return undefined;
  let h: number;
  let mi: number;
  let sec: number;
  // 'HH:MM:SS', the form every front sends, read by character codes (every snapshot comes through here).
  if (updateTime.length === 8 && updateTime.charCodeAt(2) === 58 && updateTime.charCodeAt(5) === 58 &&
      Math.min(digit(updateTime, 0), digit(updateTime, 1), digit(updateTime, 3), digit(updateTime, 4), digit(updateTime, 6), digit(updateTime, 7)) >= 0) {
    h = digit(updateTime, 0) * 10 + digit(updateTime, 1);
    mi = digit(updateTime, 3) * 10 + digit(updateTime, 4);
    sec = digit(updateTime, 6) * 10 + digit(updateTime, 7);
  } else {
    const m = UPDATE_TIME_RE.exec(updateTime.trim());
    if (!m) return undefined;
    [h, mi, sec] = [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  if (h > 23 || mi > 59 || sec > 59) return undefined;
  return ((h * 60 + mi) * 60 + sec) * 1000 + millis;
}

/** Of the local Shanghai date −1, 0, +1, the instant at `msOfDay` closest to `localMs`. */
function closestInstant(msOfDay: number, localMs: number): number {
  // Shanghai midnight of localMs (UTC+8 all year: no daylight saving), then the time of day.
  const base = Math.floor((localMs + SHANGHAI_OFFSET_MS) / DAY_MS) * DAY_MS - SHANGHAI_OFFSET_MS + msOfDay;
  let best = base;
  if (Math.abs(base - DAY_MS - localMs) < Math.abs(best - localMs)) best = base - DAY_MS;
  if (Math.abs(base + DAY_MS - localMs) < Math.abs(best - localMs)) best = base + DAY_MS;
  return best;
}

/**
 * Dates a vendor snapshot.
 * - datetime: UpdateTime + UpdateMillisec as a number (DCE 85 → .085, never .85; CZCE's 0 → .000) on the
 *   calendar date d ∈ {local date − 1, local date, local date + 1} that puts it closest to `localMs`.
 *   ActionDay and TradingDay are ignored for every exchange: DCE's ActionDay is the trading day at night
 *   and CZCE's TradingDay is unreliable, while the local receive time is always within seconds, which also
 *   handles midnight crossings (23:59:59.500 received at 00:00:00.200 is dated the previous day).
 * - trading_day: calendar.tradingDayAt(template, datetime); when that is null (a snapshot stamped on a
 *   weekend or holiday day-time, or on the early morning after a non-trading evening), the first trading
 *   day on or after datetime's Shanghai date.
 * - An empty or malformed UpdateTime, or UpdateMillisec outside 0–999, gives { error: 'MDH_ERR_VENDOR_BAD_TIME' }.
 */
export function vendorTime(input: VendorTimeInput, calendar: TradingCalendar): VendorTimeResult {
  const msOfDay = typeof input.updateTime === 'string' ? vendorMsOfDay(input.updateTime, input.updateMillisec) : undefined;
  if (msOfDay === undefined || !Number.isFinite(input.localMs)) return { error: 'MDH_ERR_VENDOR_BAD_TIME' };
  const datetime = closestInstant(msOfDay, input.localMs);
  const trading_day = calendar.tradingDayAt(input.template, datetime) ?? calendar.tradingDayOnOrAfter(shanghaiDate(datetime));
  return { datetime, trading_day };
}
