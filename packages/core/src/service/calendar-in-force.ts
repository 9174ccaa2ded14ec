/**
 * The trading calendar in force: the shipped markets.json with the years imported by `mdhub calendar
 * import` (stored in the configuration database) laid over it. The hub, `mdhub start --if-trading-day`,
 * `mdhub schedule check` and `mdhub calendar show` all read it here.
 */
import { TradingCalendar } from '../market/calendar.js';
import { applyCalendarOverrides } from '../market/calendar-import.js';
import type { CalendarYear } from '../market/calendar-import.js';
import { loadMarketData } from '../market/products.js';
import type { CalendarOverrideRecord } from '../store/schema.js';

export interface CalendarInForce {
  calendar: TradingCalendar;
  /** The imported years in force, with where each came from and when. */
  imported: Array<CalendarYear & { source: string; imported_at: number }>;
  /** Stored rows that do not parse (ignored; the shipped data applies to their years). */
  bad: Array<{ id: string; reason: string }>;
}

/** Builds the calendar in force from the stored override rows (`ConfigService.calendarOverrides()`). */
export async function calendarInForce(store: { calendarOverrides(): Promise<{ rows: CalendarOverrideRecord[]; bad: Array<{ key: string; reason: string }> }> }): Promise<CalendarInForce> {
  const { rows, bad } = await store.calendarOverrides();
  const applied = applyCalendarOverrides(loadMarketData(), rows);
  const byYear = new Map(rows.map((r) => [r.id, r]));
  return {
    calendar: new TradingCalendar(applied.data),
    imported: applied.years.map((y) => ({ ...y, source: byYear.get(String(y.year))?.source ?? '', imported_at: byYear.get(String(y.year))?.imported_at ?? 0 })),
    bad: [...bad.map((b) => ({ id: b.key, reason: b.reason })), ...applied.bad.map((e) => ({ id: String(e.details['row'] ?? '?'), reason: JSON.stringify(e.details['issues'] ?? e.message) }))],
  };
}
