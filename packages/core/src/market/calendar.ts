/**
 * The trading calendar and sessions of Chinese futures and options exchanges, built from markets.json.
 * Days are 'YYYYMMDD' (Asia/Shanghai calendar dates); instants are epoch ms. All date math uses the
 * fixed +08:00 offset (see time.ts), never the host TZ.
 */
import { loadMarketData } from './products.js';
import { DAY_MS, SHANGHAI_OFFSET_MS, addDays, atShanghai, dayFromNumber, dayNumber, shanghaiDate, shanghaiMsOfDay, timeOfDayMs, weekday } from './time.js';
import type { Auction, AuctionRule, MarketData, Segment, SessionTemplateId } from './types.js';

/**
 * Wall-clock time at which the trading day rolls over: from 18:00 on a trading day's evening, instants
 * belong to the next trading day (the night session and its 20:55 auction belong to it).
 */
export const TRADING_DAY_ROLL = '18:00';
/** Wall-clock time before which an instant belongs to the previous calendar evening's night. */
export const NIGHT_TAIL_END = '06:00';
/** The expiry warning fires from this many days before the holiday data ends. */
export const DATA_EXPIRY_WARN_DAYS = 30;

const ROLL_MS = timeOfDayMs(TRADING_DAY_ROLL);
const TAIL_MS = timeOfDayMs(NIGHT_TAIL_END);
/** The day window [06:00, 18:00) and the night window [18:00, 06:00) are both this long. */
const HALF_DAY_MS = ROLL_MS - TAIL_MS;
if (HALF_DAY_MS * 2 !== DAY_MS) throw new Error('the trading-day windows must be 12 hours each');
/** Longest run of consecutive non-trading days searched before giving up (guards bad data). */
const MAX_GAP_DAYS = 400;
const CACHE_LIMIT = 2048;

/** Trading calendar, sessions and auctions. Construct from loaded data (default: the packaged file). */
export class TradingCalendar {
  private readonly data: MarketData;
  private readonly holidays: ReadonlySet<string>;
  private readonly noNight: ReadonlySet<string>;
  private readonly firstAfterClosure: ReadonlySet<string>;
  private readonly endsOn: string;
  private readonly segmentCache = new Map<string, Segment[]>();

  constructor(data: MarketData = loadMarketData()) {
    this.data = data;
    this.holidays = new Set(data.holidays);
    this.noNight = new Set(data.noNightEvenings);
    this.firstAfterClosure = new Set(data.firstTradingDayAfterClosure);
    this.endsOn = `${Math.max(...data.holidayYears)}1231`;
  }

  /**
   * True on a weekday that is not a listed closure. Weekend make-up workdays are not trading days.
   * Outside the years with holiday data (before or after), every weekday counts as a trading day.
   */
  isTradingDay(day: string): boolean {
    const wd = weekday(day);
    return wd !== 0 && wd !== 6 && !this.holidays.has(day);
  }

  /** The first trading day strictly after `day`. */
  nextTradingDay(day: string): string {
    return this.step(day, 1);
  }

  /** The last trading day strictly before `day`. */
  prevTradingDay(day: string): string {
    return this.step(day, -1);
  }

  /** `day` itself when it is a trading day, else the next trading day. */
  tradingDayOnOrAfter(day: string): string {
    return this.isTradingDay(day) ? day : this.nextTradingDay(day);
  }

  /** `day` itself when it is a trading day, else the previous trading day. */
  tradingDayOnOrBefore(day: string): string {
    return this.isTradingDay(day) ? day : this.prevTradingDay(day);
  }

  private step(day: string, dir: 1 | -1): string {
    let n = dayNumber(day);
    for (let i = 0; i < MAX_GAP_DAYS; i++) {
      n += dir;
      const d = dayFromNumber(n);
      if (this.isTradingDay(d)) return d;
    }
    throw new RangeError(`no trading day within ${MAX_GAP_DAYS} days of ${day}`);
  }

  /**
   * Whether trading day `tradingDay` has a night segment (on the previous trading day's evening; Friday's
   * night belongs to Monday). False when `tradingDay` is not a trading day, when the previous trading
   * day's evening is in no_night_session_evenings (including entries marked expected/unconfirmed, e.g.
   * 2026-12-31), or when `tradingDay` is a first trading day after a closure.
   */
  hasNightSession(tradingDay: string): boolean {
    if (!this.isTradingDay(tradingDay) || this.firstAfterClosure.has(tradingDay)) return false;
    return !this.noNight.has(this.prevTradingDay(tradingDay));
  }

  /**
   * Segments of `template` on trading day `tradingDay`, [start, end) epoch ms, in trading-day order: the
   * night segment (when the template has one and the day has a night session) starts 21:00 on the previous
   * trading day's calendar evening and ends 23:00 that evening or 01:00 / 02:30 the next calendar morning;
   * then the day segments. Empty on a non-trading day.
   */
  segments(template: SessionTemplateId, tradingDay: string): Segment[] {
    const key = `${template}|${tradingDay}`;
    let segs = this.segmentCache.get(key);
    if (!segs) {
      segs = this.buildSegments(template, tradingDay);
      if (this.segmentCache.size >= CACHE_LIMIT) this.segmentCache.clear();
      this.segmentCache.set(key, segs);
    }
    return segs.map((s) => ({ ...s }));
  }

  private buildSegments(template: SessionTemplateId, tradingDay: string): Segment[] {
    if (!this.isTradingDay(tradingDay)) return [];
    const night = this.hasNightSession(tradingDay) ? this.prevTradingDay(tradingDay) : undefined;
    const out: Segment[] = [];
    for (const [from, to] of this.data.sessions[template]) {
      if (isEvening(from)) {
        if (night !== undefined) out.push(spanOn(night, from, to, 'night'));
      } else {
        out.push(spanOn(tradingDay, from, to, 'day'));
      }
    }
    return out;
  }

  /**
   * Call auctions of `template` on trading day `tradingDay`, in time order. `night_open` (20:55–21:00 on
   * the previous trading day's evening) only when the day has a night session; commodity templates always
   * get the 08:55–09:00 `day_open` auction (since 2023-05-26 for night products, and for every product
   * after an evening without night session). Empty on a non-trading day.
   */
  auctions(template: SessionTemplateId, tradingDay: string): Auction[] {
    if (!this.isTradingDay(tradingDay)) return [];
    const hasNight = this.hasNightSession(tradingDay);
    const prev = hasNight ? this.prevTradingDay(tradingDay) : tradingDay;
    return this.data.auctions[template]
      .filter((r) => r.phase !== 'night_open' || hasNight)
      .map((r) => auctionOn(r.phase === 'night_open' ? prev : tradingDay, r))
      .sort((a, b) => a.entryStart - b.entryStart);
  }

  /**
   * The trading day an instant belongs to (the same for every template; `template` is accepted so that
   * session-specific rules can be added without changing callers):
   * - 06:00–18:00 Shanghai time on calendar day D: D when D is a trading day (also between segments,
   *   before the open and after the close), else null (weekend or holiday day-time);
   * - from 18:00 on D: the next trading day after D when D is a trading day (Friday 21:30 → Monday,
   *   also on an evening without night session), else null;
   * - before 06:00 on D: the night of D−1: the next trading day after D−1 when D−1 is a trading day
   *   (Saturday 01:00 → Monday), else null.
   */
  tradingDayAt(template: SessionTemplateId, epochMs: number): string | null {
    void template;
    // The answer is constant over each 12-hour window [06:00, 18:00) and [18:00, 06:00): every gateway
    // dates every snapshot with it, so the last window's answer is kept.
    const w = Math.floor((epochMs + SHANGHAI_OFFSET_MS - TAIL_MS) / HALF_DAY_MS);
    if (w === this.lastWindow) return this.lastWindowDay;
    const r = this.tradingDayAtUncached(epochMs);
    this.lastWindow = w;
    this.lastWindowDay = r;
    return r;
  }

  private lastWindow = Number.NaN;
  private lastWindowDay: string | null = null;

  private tradingDayAtUncached(epochMs: number): string | null {
    const day = shanghaiDate(epochMs);
    const ms = shanghaiMsOfDay(epochMs);
    if (ms >= TAIL_MS && ms < ROLL_MS) return this.isTradingDay(day) ? day : null;
    const evening = ms >= ROLL_MS ? day : addDays(day, -1);
    return this.isTradingDay(evening) ? this.nextTradingDay(evening) : null;
  }

  /** The segment of `template` containing `epochMs` ([start, end): a tick stamped exactly at a segment end is outside), or null. */
  segmentAt(template: SessionTemplateId, epochMs: number): Segment | null {
    const td = this.tradingDayAt(template, epochMs);
    if (td === null) return null;
    return this.segments(template, td).find((s) => s.start <= epochMs && epochMs < s.end) ?? null;
  }

  /** True when `epochMs` falls inside a segment of `template` (continuous trading; auctions excluded). */
  isInSession(template: SessionTemplateId, epochMs: number): boolean {
    return this.segmentAt(template, epochMs) !== null;
  }

  /** The last day covered by holiday data: 31 December of the last year in markets.json `holidays`. */
  dataEndsOn(): string {
    return this.endsOn;
  }

  /**
   * Non-null from {@link DATA_EXPIRY_WARN_DAYS} days before the holiday data ends, and after it ended:
   * `daysLeft` = calendar days from the Shanghai date of `nowMs` to {@link dataEndsOn} (negative after).
   */
  dataExpiryWarning(nowMs: number): { daysLeft: number; endsOn: string } | null {
    const daysLeft = dayNumber(this.endsOn) - dayNumber(shanghaiDate(nowMs));
    return daysLeft <= DATA_EXPIRY_WARN_DAYS ? { daysLeft, endsOn: this.endsOn } : null;
  }

  /** The loaded market data this calendar was built from. */
  marketData(): MarketData {
    return this.data;
  }
}

function isEvening(time: string): boolean {
  return timeOfDayMs(time) >= ROLL_MS;
}

/** [from, to) on calendar day `day`; a `to` earlier than `from` falls on the next calendar day. */
function spanOn(day: string, from: string, to: string, part: Segment['part']): Segment {
  const start = atShanghai(day, from);
  let end = atShanghai(day, to);
  if (end <= start) end += DAY_MS;
  return { start, end, part };
}

function auctionOn(day: string, r: AuctionRule): Auction {
  return {
    phase: r.phase,
    entryStart: atShanghai(day, r.entryStart),
    matchStart: atShanghai(day, r.matchStart),
    end: atShanghai(day, r.end),
  };
}

let shared: TradingCalendar | undefined;

/** A shared calendar built from the packaged markets.json (or the one set by {@link useMarketCalendar}). */
export function marketCalendar(): TradingCalendar {
  shared ??= new TradingCalendar();
  return shared;
}

/**
 * Makes `calendar` the shared one of this thread (the data-plane worker, given the hub's calendar in
 * force with imported years); call before anything reads {@link marketCalendar}.
 */
export function useMarketCalendar(calendar: TradingCalendar): void {
  shared = calendar;
}
