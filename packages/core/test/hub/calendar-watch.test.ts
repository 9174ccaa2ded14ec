/**
 * The calendar watch (docs/operations.md): "calendar data ends in N days" is re-checked while the hub
 * runs and raised as the `calendar_ending` alert from 30 days before the end, once per Asia/Shanghai
 * day; `hub_outside_schedule` informs when a hub starts outside its schedule or stops inside a session.
 * The clock and the calendar are injected.
 */
import { describe, expect, it } from 'vitest';
import { CalendarWatch } from '../../src/hub/calendar-watch.js';
import type { AlertEvent } from '../../src/hub/source-health.js';
import { TradingCalendar, loadMarketData } from '../../src/market/index.js';
import { applyCalendarOverrides, parseCalendarFile, storedYearData } from '../../src/market/calendar-import.js';

const sh = (iso: string): number => Date.parse(`${iso}+08:00`);
const shipped = new TradingCalendar();
const with2027 = new TradingCalendar(applyCalendarOverrides(loadMarketData(), parseCalendarFile({ year: 2027, holidays: ['2027-01-01'] }).map((y) => ({ id: '2027', data: storedYearData(y) }))).data);

function watch(opts: { now: number; simulated?: boolean; calendar?: TradingCalendar }): { w: CalendarWatch; alerts: AlertEvent[]; clock: { now: number }; cal: { current: TradingCalendar } } {
  const alerts: AlertEvent[] = [];
  const clock = { now: opts.now };
  const cal = { current: opts.calendar ?? shipped };
  const w = new CalendarWatch({ calendar: async () => cal.current, now: () => clock.now, simulated: opts.simulated ?? false, alert: (a) => alerts.push(a), warn: () => {} });
  return { w, alerts, clock, cal };
}

describe('calendar_ending', () => {
  it('is raised once per day from 30 days before the data ends', async () => {
    const { w, alerts, clock } = watch({ now: sh('2026-11-30T10:00') });
    await w.check();
    expect(alerts).toEqual([]); // 31 days left
    clock.now = sh('2026-12-01T10:00');
    await w.check();
    await w.check();
    clock.now = sh('2026-12-01T23:59');
    await w.check();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ alert: 'calendar_ending', severity: 'warning', code: 'MDH_ERR_CALENDAR_DATA_ENDING' });
    expect(alerts[0]!.message).toMatch(/ends in 30 days \(20261231\)/);
    clock.now = sh('2026-12-02T00:05');
    await w.check();
    expect(alerts).toHaveLength(2);
    expect(alerts[1]!.message).toMatch(/ends in 29 days/);
    clock.now = sh('2027-01-03T09:00');
    await w.check();
    expect(alerts[2]!.message).toMatch(/ended 3 days ago/);
  });

  it('stops once a newer calendar is imported (read fresh at each check)', async () => {
    const { w, alerts, clock, cal } = watch({ now: sh('2026-12-05T10:00') });
    await w.check();
    expect(alerts).toHaveLength(1);
    cal.current = with2027;
    clock.now = sh('2026-12-06T10:00');
    await w.check();
    expect(alerts).toHaveLength(1);
  });

  it('runs by itself on its timer', async () => {
    const alerts: AlertEvent[] = [];
    let day = 0;
    const w = new CalendarWatch({ calendar: async () => shipped, now: () => sh('2026-12-05T10:00') + day++ * 86_400_000, simulated: false, alert: (a) => alerts.push(a), warn: () => {}, checkEveryMs: 20 });
    w.start();
    await new Promise((r) => setTimeout(r, 150));
    w.stop();
    expect(alerts.length).toBeGreaterThanOrEqual(3);
    expect(new Set(alerts.map((a) => a.message)).size).toBe(alerts.length); // a new day each time
  });
});

describe('hub_outside_schedule', () => {
  it('is raised when a hub starts on a Saturday afternoon, not 10 min before the open', async () => {
    const sat = watch({ now: sh('2026-11-28T14:00') });
    await sat.w.hubStarted();
    expect(sat.alerts).toEqual([expect.objectContaining({ alert: 'hub_outside_schedule', severity: 'warning' })]);
    expect(sat.alerts[0]!.message).toMatch(/next opens 2026-11-30 08:55/);
    const onTime = watch({ now: sh('2026-11-25T08:45') });
    await onTime.w.hubStarted();
    expect(onTime.alerts).toEqual([]);
  });

  it('is raised when a hub stops inside a session, not after the close', async () => {
    const open = watch({ now: sh('2026-11-25T10:00') });
    await open.w.check();
    open.w.hubStopping();
    expect(open.alerts).toEqual([expect.objectContaining({ alert: 'hub_outside_schedule' })]);
    const closed = watch({ now: sh('2026-11-25T15:25') });
    await closed.w.check();
    closed.w.hubStopping();
    expect(closed.alerts).toEqual([]);
  });

  it('is never raised on a simulated hub', async () => {
    const sim = watch({ now: sh('2026-11-28T14:00'), simulated: true });
    await sim.w.hubStarted();
    await sim.w.check();
    sim.w.hubStopping();
    expect(sim.alerts).toEqual([]);
  });
});
