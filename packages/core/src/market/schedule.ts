/**
 * When a hub should run: the trading windows of each trading day (a night window from the 20:55
 * auction to the last night close, 02:30 the next calendar morning; a day window from the 08:55 auction
 * to the last day close, 15:15), what `mdhub start --if-trading-day` decides at an instant, and the
 * crontab that starts and stops a hub around them. Pure: the calendar and the instant are arguments,
 * so tests inject both; the host's time zone is an argument too (crontab times are printed in it).
 */
import type { TradingCalendar } from './calendar.js';
import { SESSION_TEMPLATES } from './products.js';
import { DAY_MS, SHANGHAI_OFFSET_MS, addDays, shanghaiDate, shanghaiTime, weekday } from './time.js';

/** Minutes before a window opens that the crontab starts the hub (the default of `--lead`). */
export const DEFAULT_LEAD_MIN = 10;
/** Minutes after a window closes that the crontab stops the hub (the last snapshots, stamped at the close, arrive late). */
export const DEFAULT_LAG_MIN = 10;
/**
 * `--if-trading-day` starts when a window opens within the lead time plus this much (cron runs a job a
 * few seconds late, a host may boot late), or when a window is open now (a late or manual start).
 */
export const START_GRACE_MIN = 5;
/**
 * The hub's schedule, for the `hub_outside_schedule` alert: each window widened by this much before its
 * open (a generous lead) ...
 */
export const SCHEDULE_EARLY_MIN = 60;
/** ... and this much after its close (a late stop). */
export const SCHEDULE_LATE_MIN = 30;

const MIN_MS = 60_000;
/** How many trading days ahead a search for the next window goes (a closure is at most ~10 days). */
const SEARCH_DAYS = 40;

/** One trading window of one trading day, epoch ms, [open, close). */
export interface TradingWindow {
  /** The trading day it belongs to ('YYYYMMDD'; a night window belongs to the next trading day). */
  tradingDay: string;
  part: 'night' | 'day';
  /** The first auction's order entry (20:55, 08:55), or the first segment's start. */
  open: number;
  /** The last segment's end over every session template (02:30 next morning, 15:15). */
  close: number;
}

/** The night and day windows of trading day `tradingDay` over every session template (empty on a non-trading day). */
export function tradingWindows(calendar: TradingCalendar, tradingDay: string): TradingWindow[] {
  const acc: Record<'night' | 'day', { open: number; close: number } | undefined> = { night: undefined, day: undefined };
  const widen = (part: 'night' | 'day', open: number, close: number): void => {
    const w = acc[part];
    acc[part] = w ? { open: Math.min(w.open, open), close: Math.max(w.close, close) } : { open, close };
  };
  for (const t of SESSION_TEMPLATES) {
    for (const s of calendar.segments(t, tradingDay)) widen(s.part, s.start, s.end);
    for (const a of calendar.auctions(t, tradingDay)) widen(a.phase === 'night_open' ? 'night' : 'day', a.entryStart, a.end);
  }
  return (['night', 'day'] as const).flatMap((part) => {
    const w = acc[part];
    return w ? [{ tradingDay, part, open: w.open, close: w.close }] : [];
  });
}

/** Windows of the trading days around `atMs`, in time order: from the trading day before its date on. */
function windowsFrom(calendar: TradingCalendar, atMs: number): Generator<TradingWindow> {
  const first = calendar.prevTradingDay(shanghaiDate(atMs));
  return (function* gen(): Generator<TradingWindow> {
    let day = first;
    for (let i = 0; i < SEARCH_DAYS; i++) {
      yield* tradingWindows(calendar, day);
      day = calendar.nextTradingDay(day);
    }
  })();
}

/** The window open at `atMs` ([open, close)), or null. */
export function windowAt(calendar: TradingCalendar, atMs: number): TradingWindow | null {
  for (const w of windowsFrom(calendar, atMs)) {
    if (w.open > atMs) return null;
    if (atMs < w.close) return w;
  }
  return null;
}

/** The first window opening after `atMs`. */
export function nextWindow(calendar: TradingCalendar, atMs: number): TradingWindow {
  for (const w of windowsFrom(calendar, atMs)) if (w.open > atMs) return w;
  throw new RangeError(`no trading window within ${SEARCH_DAYS} trading days of ${new Date(atMs).toISOString()}`);
}

/** What the schedule says at one instant (`mdhub schedule check`, `mdhub start --if-trading-day`). */
export interface ScheduleVerdict {
  at: number;
  /** Asia/Shanghai calendar date of `at` and whether it is a trading day. */
  date: string;
  dateIsTradingDay: boolean;
  /** The trading day `at` belongs to (null on weekend or holiday day-time, and their nights). */
  tradingDay: string | null;
  /** The window open now, or null. */
  current: TradingWindow | null;
  /** The next window to open. */
  next: TradingWindow;
  /** True when `mdhub start --if-trading-day` starts the hub at `at` with this lead. */
  start: boolean;
  /** One sentence: why. */
  reason: string;
}

/** Asia/Shanghai 'YYYY-MM-DD HH:MM' of an instant (for messages). */
export function shanghaiLabel(ms: number): string {
  const d = shanghaiDate(ms);
  return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)} ${shanghaiTime(ms).slice(0, 5)}`;
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

function describe(w: TradingWindow): string {
  return `the ${w.part} session of trading day ${w.tradingDay} (${WEEKDAYS[weekday(w.tradingDay)]!}), ${shanghaiLabel(w.open)}–${shanghaiTime(w.close).slice(0, 5)} Asia/Shanghai`;
}

/**
 * Whether the hub should run at `atMs`: "does a session open within the lead time (or is one open)?"
 * (ARCHITECTURE.md Decisions). The evening before a holiday has no night session, so 20:45 on it answers
 * no; Friday's night session belongs to Monday, so 20:45 on a Friday before a normal Monday answers yes.
 */
export function scheduleVerdict(calendar: TradingCalendar, atMs: number, leadMin = DEFAULT_LEAD_MIN): ScheduleVerdict {
  const date = shanghaiDate(atMs);
  const current = windowAt(calendar, atMs);
  const next = nextWindow(calendar, atMs);
  const within = next.open - atMs <= (leadMin + START_GRACE_MIN) * MIN_MS;
  const base = { at: atMs, date, dateIsTradingDay: calendar.isTradingDay(date), tradingDay: calendar.tradingDayAt('commodity_night_0230', atMs), current, next };
  if (current) return { ...base, start: true, reason: `${describe(current)} is open` };
  const inMin = Math.round((next.open - atMs) / MIN_MS);
  if (within) return { ...base, start: true, reason: `${describe(next)} opens in ${inMin} min` };
  return { ...base, start: false, reason: `no session opens within ${leadMin} min: the next is ${describe(next)}, in ${formatSpan(next.open - atMs)}` };
}

function formatSpan(ms: number): string {
  const min = Math.round(ms / MIN_MS);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  return h < 48 ? `${h} h ${min % 60} min` : `${Math.floor(h / 24)} days ${h % 24} h`;
}

/**
 * Whether `atMs` is inside the hub's schedule: a window opens within {@link SCHEDULE_EARLY_MIN}, one is
 * open, or one closed less than {@link SCHEDULE_LATE_MIN} ago. Outside it, a (non-simulated) hub that
 * starts raises `hub_outside_schedule`; a plain `mdhub start` for maintenance still runs.
 */
export function inSchedule(calendar: TradingCalendar, atMs: number): boolean {
  if (windowAt(calendar, atMs) !== null) return true;
  if (nextWindow(calendar, atMs).open - atMs <= SCHEDULE_EARLY_MIN * MIN_MS) return true;
  return windowAt(calendar, atMs - SCHEDULE_LATE_MIN * MIN_MS) !== null;
}

// ---- crontab ----

/** Options of {@link crontabLines}. */
export interface CrontabOptions {
  calendar: TradingCalendar;
  /** The command that starts the hub (it must check the calendar: `mdhub start --if-trading-day`). */
  startCommand: string;
  stopCommand: string;
  leadMin?: number;
  lagMin?: number;
  /** IANA zone the host's cron runs in (times are printed in it). */
  zone: string;
  /** Instant whose zone offset is used (a zone with daylight saving differs across the year). Default now. */
  at?: number;
}

/** One cron job in Shanghai terms: minute of day and weekdays (0 = Sunday). */
interface Job {
  what: string;
  minuteOfDay: number;
  weekdays: number[];
  command: string;
}

/** Offset of IANA `zone` from UTC at `atMs`, in minutes (Asia/Shanghai: 480). */
export function zoneOffsetMin(zone: string, atMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  }).formatToParts(new Date(Math.floor(atMs / MIN_MS) * MIN_MS));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
  return Math.round((wall - Math.floor(atMs / MIN_MS) * MIN_MS) / MIN_MS);
}

/** `1-5`, `2-6`, `0-4`, `0,6`: a cron weekday field. */
export function weekdayField(days: readonly number[]): string {
  const s = [...new Set(days.map((d) => ((d % 7) + 7) % 7))].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    runs.push(j - i >= 2 ? `${s[i]!}-${s[j]!}` : s.slice(i, j + 1).join(','));
    i = j + 1;
  }
  return runs.join(',');
}

/** Minute of the Shanghai day of an instant. */
function shanghaiMinute(ms: number): number {
  return Math.floor((((ms + SHANGHAI_OFFSET_MS) % DAY_MS) + DAY_MS) % DAY_MS / MIN_MS);
}

/**
 * The crontab of a deployment: start `leadMin` before the day and night windows open, stop `lagMin`
 * after they close, on weekdays only (the day window Mon–Fri; the night window opens Mon–Fri evenings,
 * Friday's belonging to Monday, and closes after midnight Tue–Sat). Cron cannot know holidays: the start
 * command checks the calendar itself. Times and weekdays are converted to `zone`, the host's.
 * Returns the lines (comments included), without a trailing newline.
 */
export function crontabLines(o: CrontabOptions): string[] {
  const lead = o.leadMin ?? DEFAULT_LEAD_MIN;
  const lag = o.lagMin ?? DEFAULT_LAG_MIN;
  const at = o.at ?? Date.now();
  // A regular week's windows give the times (sessions are the same every trading day): the typical
  // trading day is the first Wednesday from `at` whose night and day windows both exist.
  let day = shanghaiDate(at);
  let windows: TradingWindow[] = [];
  for (let i = 0; i < 400 && windows.length < 2; i++) {
    day = addDays(day, 1);
    windows = weekday(day) === 3 ? tradingWindows(o.calendar, day) : [];
  }
  const night = windows.find((w) => w.part === 'night');
  const dayW = windows.find((w) => w.part === 'day');
  if (!night || !dayW) throw new RangeError('no regular trading day with a night and a day session was found');
  const mon = [1, 2, 3, 4, 5];
  const closesNextMorning = shanghaiDate(night.close) !== shanghaiDate(night.open);
  const jobs: Job[] = [
    { what: `start before the day session (opens ${shanghaiTime(dayW.open).slice(0, 5)})`, minuteOfDay: shanghaiMinute(dayW.open) - lead, weekdays: mon, command: o.startCommand },
    { what: `stop after the day session (closes ${shanghaiTime(dayW.close).slice(0, 5)})`, minuteOfDay: shanghaiMinute(dayW.close) + lag, weekdays: mon, command: o.stopCommand },
    { what: `start before the night session (opens ${shanghaiTime(night.open).slice(0, 5)}; Friday's belongs to Monday)`, minuteOfDay: shanghaiMinute(night.open) - lead, weekdays: mon, command: o.startCommand },
    {
      what: `stop after the night session (closes ${shanghaiTime(night.close).slice(0, 5)}${closesNextMorning ? ' the next morning, Tue–Sat' : ''})`,
      minuteOfDay: shanghaiMinute(night.close) + lag + (closesNextMorning ? 24 * 60 : 0), weekdays: mon, command: o.stopCommand,
    },
  ];
  const delta = zoneOffsetMin(o.zone, at) - SHANGHAI_OFFSET_MS / MIN_MS;
  const jan = zoneOffsetMin(o.zone, Date.UTC(new Date(at).getUTCFullYear(), 0, 15));
  const jul = zoneOffsetMin(o.zone, Date.UTC(new Date(at).getUTCFullYear(), 6, 15));
  const lines = [
    `# mdhub: start ${lead} min before each trading session opens, stop ${lag} min after it closes (weekdays; the start`,
    '# command checks the trading calendar, so holidays and the evenings before them are skipped).',
    `# Times are in the host's zone ${o.zone} (the sessions are Asia/Shanghai). Generated by mdhub schedule crontab.`,
  ];
  if (jan !== jul) lines.push(`# ${o.zone} observes daylight saving time: these times hold for its current offset; regenerate the crontab when it changes.`);
  for (const j of jobs) {
    const m = j.minuteOfDay + delta;
    const shift = Math.floor(m / (24 * 60));
    const local = m - shift * 24 * 60;
    lines.push(`# ${j.what}`);
    lines.push(`${local % 60} ${Math.floor(local / 60)} * * ${weekdayField(j.weekdays.map((d) => d + shift))} ${j.command}`);
  }
  return lines;
}
