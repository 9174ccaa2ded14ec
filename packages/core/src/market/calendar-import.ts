/**
 * Calendar updates without an upgrade: a newer trading calendar (exchanges publish next year's holidays
 * in December) is read from a file, stored per year in the configuration database (`calendarOverrides`),
 * and laid over the shipped markets.json: a stored year replaces that year's holidays. Two file formats:
 * - markets.json (or any part of it holding `holidays`, and optionally `no_night_session_evenings` and
 *   `first_trading_day_after_closure`), keyed by year as in the shipped file;
 * - a simple holiday list `{"year": 2027, "holidays": ["2027-01-01", ...]}`, optionally with
 *   `no_night_evenings` and `first_trading_days_after_closure`; without them both are derived: the
 *   evening before a closure has no night session, and neither has the first trading day after it.
 * Parse at the boundary: files and stored rows are validated here (zod), the calendar trusts the result.
 */
import { z } from 'zod';
import { MarketError } from './errors.js';
import { addDays, isValidDay, weekday } from './time.js';
import type { MarketData } from './types.js';

/** One year of calendar data as stored (days 'YYYYMMDD'). */
export interface CalendarYear {
  year: number;
  /** Weekday closures of the year (weekend days in a file are dropped: they close anyway). */
  holidays: string[];
  /** Evenings without a night session (may fall in the previous year: 31 December before 1 January). */
  noNightEvenings: string[];
  /** First trading days after a closure (no night session precedes them). */
  firstAfterClosure: string[];
}

/** A stored override row as the repository returns it. */
export interface CalendarOverrideRow {
  id: string;
  source: string;
  data: unknown;
  imported_at: number;
}

const YEAR_MIN = 2000;
const YEAR_MAX = 2100;
/** More closures than this in one year is not a Chinese exchange calendar (2026 has 19). */
const MAX_HOLIDAYS = 60;

const IsoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD').refine((s) => isValidDay(s.replaceAll('-', '')), 'not a calendar date');
const StoredDay = z.string().regex(/^\d{8}$/).refine(isValidDay, 'not a calendar date');
const Year = z.number().int().min(YEAR_MIN).max(YEAR_MAX);

const SimpleFile = z.strictObject({
  year: Year,
  holidays: z.array(IsoDay).max(MAX_HOLIDAYS * 2),
  no_night_evenings: z.array(IsoDay).max(MAX_HOLIDAYS).optional(),
  first_trading_days_after_closure: z.array(IsoDay).max(MAX_HOLIDAYS).optional(),
  notes: z.string().max(2000).optional(),
});
const YearKey = z.string().regex(/^\d{4}(?:_.*)?$/, 'a year key such as 2027 (or 2027_expected_unconfirmed)');
const ByYear = z.record(YearKey, z.array(IsoDay).max(MAX_HOLIDAYS * 2));
/** markets.json or a part of it: only the calendar fields are read; the rest (products, sessions) is ignored. */
const MarketsFile = z.looseObject({
  holidays: ByYear,
  no_night_session_evenings: ByYear.optional(),
  first_trading_day_after_closure: ByYear.optional(),
});

/** The stored form of one year (what `calendarOverrides.data` holds). */
const StoredYear = z.strictObject({
  year: Year,
  holidays: z.array(StoredDay).max(MAX_HOLIDAYS),
  no_night_evenings: z.array(StoredDay).max(MAX_HOLIDAYS),
  first_after_closure: z.array(StoredDay).max(MAX_HOLIDAYS),
});
type StoredYearData = z.infer<typeof StoredYear>;

function bad(details: Record<string, unknown>, cause?: unknown): MarketError {
  return new MarketError('MDH_ERR_CALENDAR_BAD_FILE', details, cause);
}

function issues(err: z.ZodError): string[] {
  return err.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`);
}

const day = (iso: string): string => iso.replaceAll('-', '');
const uniqSorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();
const isWeekday = (d: string): boolean => weekday(d) !== 0 && weekday(d) !== 6;

/**
 * Derived closure edges of a year's holidays: the trading evening before each closure (no night
 * session) and the first trading day after it. A closure is a run of holidays joined by weekends.
 */
export function deriveClosureEdges(holidays: readonly string[]): { noNightEvenings: string[]; firstAfterClosure: string[] } {
  const closed = new Set(holidays);
  const open = (d: string): boolean => isWeekday(d) && !closed.has(d);
  const noNight = new Set<string>();
  const first = new Set<string>();
  for (const h of holidays) {
    let before = addDays(h, -1);
    while (!open(before)) before = addDays(before, -1);
    noNight.add(before);
    let after = addDays(h, 1);
    while (!open(after)) after = addDays(after, 1);
    first.add(after);
  }
  return { noNightEvenings: uniqSorted(noNight), firstAfterClosure: uniqSorted(first) };
}

function checkYear(y: CalendarYear): CalendarYear {
  const outside = y.holidays.filter((d) => Number(d.slice(0, 4)) !== y.year);
  if (outside.length > 0) throw bad({ year: y.year, reason: `holidays outside ${y.year}: ${outside.slice(0, 5).join(', ')}` });
  if (y.holidays.length > MAX_HOLIDAYS) throw bad({ year: y.year, reason: `${y.holidays.length} weekday closures in one year (at most ${MAX_HOLIDAYS})` });
  return y;
}

function fromHolidays(year: number, isoDays: readonly string[], noNight?: readonly string[], firstAfter?: readonly string[]): CalendarYear {
  const holidays = uniqSorted(isoDays.map(day).filter(isWeekday));
  const derived = deriveClosureEdges(holidays);
  return checkYear({
    year, holidays,
    noNightEvenings: noNight ? uniqSorted(noNight.map(day)) : derived.noNightEvenings,
    firstAfterClosure: firstAfter ? uniqSorted(firstAfter.map(day)) : derived.firstAfterClosure,
  });
}

/**
 * Reads a calendar file's parsed JSON into one {@link CalendarYear} per year it holds. Throws
 * MarketError MDH_ERR_CALENDAR_BAD_FILE naming the fields when it is neither format, a date is malformed,
 * or a holiday falls outside its year.
 */
export function parseCalendarFile(raw: unknown): CalendarYear[] {
  if (typeof raw === 'object' && raw !== null && 'year' in raw) {
    const r = SimpleFile.safeParse(raw);
    if (!r.success) throw bad({ format: 'holiday list', issues: issues(r.error) });
    return [fromHolidays(r.data.year, r.data.holidays, r.data.no_night_evenings, r.data.first_trading_days_after_closure)];
  }
  const r = MarketsFile.safeParse(raw);
  if (!r.success) {
    throw bad({ format: 'markets.json', issues: issues(r.error), expected: '{"year": 2027, "holidays": ["2027-01-01", ...]} or markets.json\'s "holidays" by year' });
  }
  const years = Object.keys(r.data.holidays).filter((k) => /^\d{4}$/.test(k)).map(Number);
  if (years.length === 0) throw bad({ format: 'markets.json', reason: 'holidays names no year' });
  const allOf = (rec: Record<string, string[]> | undefined, year: number): string[] | undefined => {
    if (!rec) return undefined;
    // An evening before 1 January belongs to the next year's closure; entries marked expected/unconfirmed count too.
    return Object.entries(rec).filter(([k]) => k.startsWith(String(year))).flatMap(([, v]) => v);
  };
  return years.sort((a, b) => a - b).map((year) => {
    const y = Year.safeParse(year);
    if (!y.success) throw bad({ format: 'markets.json', year, reason: `a year from ${YEAR_MIN} to ${YEAR_MAX}` });
    return fromHolidays(year, r.data.holidays[String(year)]!, allOf(r.data.no_night_session_evenings, year), allOf(r.data.first_trading_day_after_closure, year));
  });
}

/** The row data stored for one year. */
export function storedYearData(y: CalendarYear): StoredYearData {
  return { year: y.year, holidays: y.holidays, no_night_evenings: y.noNightEvenings, first_after_closure: y.firstAfterClosure };
}

/** A stored row's year, or an error naming the row (a bad row is skipped by the hub and reported). */
export function parseStoredYear(row: Pick<CalendarOverrideRow, 'id' | 'data'>): CalendarYear {
  const r = StoredYear.safeParse(row.data);
  if (!r.success) throw bad({ row: row.id, issues: issues(r.error) });
  return { year: r.data.year, holidays: r.data.holidays, noNightEvenings: r.data.no_night_evenings, firstAfterClosure: r.data.first_after_closure };
}

/**
 * The shipped market data with the stored years laid over it: a stored year's holidays replace the
 * shipped ones of that year; night-session exceptions are the union (the shipped ones of other years
 * stay, e.g. 31 December's expected evening without a night session). Rows that do not parse are
 * returned in `bad` and ignored.
 */
export function applyCalendarOverrides(base: MarketData, rows: readonly Pick<CalendarOverrideRow, 'id' | 'data'>[]): { data: MarketData; years: CalendarYear[]; bad: MarketError[] } {
  const years: CalendarYear[] = [];
  const badRows: MarketError[] = [];
  for (const row of rows) {
    try {
      years.push(parseStoredYear(row));
    } catch (err) {
      badRows.push(err as MarketError);
    }
  }
  if (years.length === 0) return { data: base, years, bad: badRows };
  const replaced = new Set(years.map((y) => y.year));
  const inReplaced = (d: string): boolean => replaced.has(Number(d.slice(0, 4)));
  const data: MarketData = {
    ...base,
    version: `${base.version}+calendar(${[...replaced].sort().join(',')})`,
    holidays: uniqSorted([...base.holidays.filter((d) => !inReplaced(d)), ...years.flatMap((y) => y.holidays)]),
    holidayYears: [...new Set([...base.holidayYears, ...replaced])].sort((a, b) => a - b),
    noNightEvenings: uniqSorted([...base.noNightEvenings, ...years.flatMap((y) => y.noNightEvenings)]),
    firstTradingDayAfterClosure: uniqSorted([...base.firstTradingDayAfterClosure, ...years.flatMap((y) => y.firstAfterClosure)]),
  };
  return { data, years, bad: badRows };
}
