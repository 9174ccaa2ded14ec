/**
 * Calendar updates without an upgrade (docs/operations.md#calendar-updates): a holiday list or
 * markets.json is validated, stored per year, and laid over the shipped calendar, taking precedence.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MarketError, TradingCalendar, loadMarketData, scheduleVerdict } from '../../src/market/index.js';
import { applyCalendarOverrides, deriveClosureEdges, parseCalendarFile, storedYearData } from '../../src/market/calendar-import.js';

const sh = (iso: string): number => Date.parse(`${iso}+08:00`);
/** A plausible 2027 (not the exchanges' published one: a test fixture). */
const Y2027 = {
  year: 2027,
  holidays: ['2027-01-01', '2027-02-08', '2027-02-09', '2027-02-10', '2027-02-11', '2027-02-12', '2027-04-05', '2027-05-03', '2027-05-04', '2027-05-05', '2027-06-09', '2027-09-15', '2027-10-01', '2027-10-04', '2027-10-05', '2027-10-06', '2027-10-07'],
};
const rowsOf = (raw: unknown): Array<{ id: string; data: unknown }> => parseCalendarFile(raw).map((y) => ({ id: String(y.year), data: storedYearData(y) }));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof MarketError ? err.code : `not a MarketError: ${String(err)}`;
  }
  return undefined;
}

describe('calendar files', () => {
  it('a holiday list derives the evenings without a night session and the first days after each closure', () => {
    const [y] = parseCalendarFile(Y2027);
    expect(y!.year).toBe(2027);
    expect(y!.holidays).toHaveLength(17);
    expect(y!.noNightEvenings).toContain('20261231'); // before 1 January, in the previous year
    expect(y!.noNightEvenings).toContain('20270205'); // the Friday before the Spring Festival week
    expect(y!.firstAfterClosure).toEqual(expect.arrayContaining(['20270104', '20270215', '20271008']));
  });

  it('derives the same edges the shipped 2026 data lists', () => {
    const raw = JSON.parse(readFileSync(new URL('../../data/markets.json', import.meta.url), 'utf8')) as { holidays: Record<string, string[]>; first_trading_day_after_closure: Record<string, string[]> };
    const d = deriveClosureEdges(raw.holidays['2026']!.map((s) => s.replaceAll('-', '')));
    expect(d.firstAfterClosure).toEqual(raw.first_trading_day_after_closure['2026']!.map((s) => s.replaceAll('-', '')));
  });

  it('reads markets.json holidays by year (the shipped file itself round-trips)', () => {
    const raw = JSON.parse(readFileSync(new URL('../../data/markets.json', import.meta.url), 'utf8')) as unknown;
    const [y] = parseCalendarFile(raw);
    expect(y!.year).toBe(2026);
    expect(y!.noNightEvenings).toEqual(expect.arrayContaining(['20251231', '20260930', '20261231']));
    expect(parseCalendarFile({ holidays: { 2027: Y2027.holidays } })[0]!.holidays).toHaveLength(17);
  });

  it('weekend days in a list are dropped: they close anyway', () => {
    expect(parseCalendarFile({ year: 2027, holidays: ['2027-02-06', '2027-02-08'] })[0]!.holidays).toEqual(['20270208']);
  });

  it('refuses bad files with MDH_ERR_CALENDAR_BAD_FILE', () => {
    expect(codeOf(() => parseCalendarFile({ year: 2027, holidays: ['2027-13-01'] }))).toBe('MDH_ERR_CALENDAR_BAD_FILE');
    expect(codeOf(() => parseCalendarFile({ year: 2027, holidays: ['2028-01-03'] }))).toBe('MDH_ERR_CALENDAR_BAD_FILE');
    expect(codeOf(() => parseCalendarFile({ year: '2027', holidays: [] }))).toBe('MDH_ERR_CALENDAR_BAD_FILE');
    expect(codeOf(() => parseCalendarFile({ year: 2027, holidays: ['2027-01-01'], extra: 1 }))).toBe('MDH_ERR_CALENDAR_BAD_FILE');
    expect(codeOf(() => parseCalendarFile({ products: [] }))).toBe('MDH_ERR_CALENDAR_BAD_FILE');
    expect(codeOf(() => parseCalendarFile([1, 2]))).toBe('MDH_ERR_CALENDAR_BAD_FILE');
    expect(codeOf(() => parseCalendarFile({ holidays: { 1999: ['1999-01-01'] } }))).toBe('MDH_ERR_CALENDAR_BAD_FILE');
  });
});

describe('stored years take precedence over the shipped calendar', () => {
  const base = loadMarketData();

  it('a 2027 import makes its holidays non-trading and moves the data end to 2027-12-31', () => {
    const shipped = new TradingCalendar(base);
    const r = applyCalendarOverrides(base, rowsOf(Y2027));
    const cal = new TradingCalendar(r.data);
    expect(shipped.isTradingDay('20270208')).toBe(true); // past the shipped data: weekdays trade
    expect(cal.isTradingDay('20270208')).toBe(false);
    expect(cal.dataEndsOn()).toBe('20271231');
    expect(cal.dataExpiryWarning(sh('2026-12-05T10:00'))).toBeNull();
    expect(shipped.dataExpiryWarning(sh('2026-12-05T10:00'))).toEqual({ daysLeft: 26, endsOn: '20261231' });
    // The schedule follows: no night session on the Friday evening before the Spring Festival week.
    expect(scheduleVerdict(shipped, sh('2027-02-05T20:45')).start).toBe(true);
    expect(scheduleVerdict(cal, sh('2027-02-05T20:45')).start).toBe(false);
  });

  it('a stored year replaces the shipped holidays of that year', () => {
    const r = applyCalendarOverrides(base, rowsOf({ year: 2026, holidays: ['2026-01-01'] }));
    const cal = new TradingCalendar(r.data);
    expect(cal.isTradingDay('20261001')).toBe(true);
    expect(cal.isTradingDay('20260101')).toBe(false);
  });

  it('a malformed stored row is reported and ignored', () => {
    const r = applyCalendarOverrides(base, [{ id: '2027', data: { year: 2027, holidays: 'all' } }]);
    expect(r.data).toBe(base);
    expect(r.bad.map((e) => e.code)).toEqual(['MDH_ERR_CALENDAR_BAD_FILE']);
  });
});
