/**
 * Asia/Shanghai date and time helpers. China has used UTC+8 without daylight saving since 1991, so a
 * fixed +08:00 offset is exact; nothing here reads the host's TZ (only Date's UTC methods are used).
 * Calendar days are 'YYYYMMDD' strings.
 */
import { MarketError } from './errors.js';

/** Offset of Asia/Shanghai from UTC in milliseconds. */
export const SHANGHAI_OFFSET_MS = 8 * 3_600_000;
/** Milliseconds in one day. */
export const DAY_MS = 86_400_000;

const DAY_RE = /^(\d{4})(\d{2})(\d{2})$/;
const TIME_RE = /^(\d{2}):(\d{2})(?::(\d{2}))?$/;

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Days since 1970-01-01 of a 'YYYYMMDD' day; throws MDH_ERR_MARKET_BAD_ARG when malformed. */
export function dayNumber(day: string): number {
  const m = DAY_RE.exec(day);
  if (!m) throw new MarketError('MDH_ERR_MARKET_BAD_ARG', { day });
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) {
    throw new MarketError('MDH_ERR_MARKET_BAD_ARG', { day });
  }
  return ms / DAY_MS;
}

/** The 'YYYYMMDD' day of a day number (days since 1970-01-01). */
export function dayFromNumber(n: number): string {
  const d = new Date(n * DAY_MS);
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}`;
}

/** `day` plus `n` calendar days ('YYYYMMDD'). */
export function addDays(day: string, n: number): string {
  return dayFromNumber(dayNumber(day) + n);
}

/** Day of the week of a 'YYYYMMDD' day: 0 = Sunday … 6 = Saturday. */
export function weekday(day: string): number {
  return (((dayNumber(day) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

/** Asia/Shanghai calendar date of an epoch-ms instant, 'YYYYMMDD'. */
export function shanghaiDate(epochMs: number): string {
  return dayFromNumber(Math.floor((epochMs + SHANGHAI_OFFSET_MS) / DAY_MS));
}

/** Milliseconds since Shanghai midnight of an epoch-ms instant (0 … 86_399_999). */
export function shanghaiMsOfDay(epochMs: number): number {
  const local = epochMs + SHANGHAI_OFFSET_MS;
  return local - Math.floor(local / DAY_MS) * DAY_MS;
}

/** Asia/Shanghai wall-clock time of an epoch-ms instant, 'HH:MM:SS' (milliseconds dropped). */
export function shanghaiTime(epochMs: number): string {
  const s = Math.floor(shanghaiMsOfDay(epochMs) / 1000);
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
}

/** Milliseconds since midnight of 'HH:MM' or 'HH:MM:SS' (00:00 … 23:59:59); throws when malformed. */
export function timeOfDayMs(time: string): number {
  const m = TIME_RE.exec(time);
  const [h, mi, s] = m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? '0')] : [NaN, NaN, NaN];
  if (!m || h > 23 || mi > 59 || s > 59) throw new MarketError('MDH_ERR_MARKET_BAD_ARG', { time });
  return ((h * 60 + mi) * 60 + s) * 1000;
}

/** Epoch ms of Shanghai wall-clock `time` ('HH:MM' or 'HH:MM:SS') on calendar day `day` ('YYYYMMDD'). */
export function atShanghai(day: string, time: string): number {
  return dayNumber(day) * DAY_MS + timeOfDayMs(time) - SHANGHAI_OFFSET_MS;
}

/** True when `day` is a well-formed, existing 'YYYYMMDD' calendar day. */
export function isValidDay(day: string): boolean {
  try {
    dayNumber(day);
    return true;
  } catch {
    return false;
  }
}
