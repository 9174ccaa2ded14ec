/**
 * Scheduled start and stop (docs/operations.md#scheduled-start-and-stop): the trading windows, what
 * `mdhub start --if-trading-day` decides at an instant ("does a session open within the lead time?"),
 * and the crontab in the host's zone. Runs under TZ=UTC and TZ=Asia/Shanghai (vitest projects); nothing
 * here may depend on the host zone except where a zone is passed in.
 */
import { describe, expect, it } from 'vitest';
import {
  TradingCalendar, crontabLines, inSchedule, scheduleVerdict, tradingWindows, weekdayField, windowAt, zoneOffsetMin,
} from '../../src/market/index.js';

const cal = new TradingCalendar();
/** Epoch ms of an Asia/Shanghai wall-clock time, computed independently of the module under test. */
const sh = (iso: string): number => Date.parse(`${iso}+08:00`);

describe('trading windows', () => {
  it('a regular day has a night window from the 20:55 auction to 02:30 the next morning and a day window 08:55–15:15', () => {
    const [night, day] = tradingWindows(cal, '20261126');
    expect(night).toEqual({ tradingDay: '20261126', part: 'night', open: sh('2026-11-25T20:55'), close: sh('2026-11-26T02:30') });
    expect(day).toEqual({ tradingDay: '20261126', part: 'day', open: sh('2026-11-26T08:55'), close: sh('2026-11-26T15:15') });
  });

  it("Monday's night window is Friday evening; a holiday has none; the day after a closure has no night", () => {
    expect(tradingWindows(cal, '20261130')[0]).toMatchObject({ part: 'night', open: sh('2026-11-27T20:55'), close: sh('2026-11-28T02:30') });
    expect(tradingWindows(cal, '20261001')).toEqual([]);
    expect(tradingWindows(cal, '20261008').map((w) => w.part)).toEqual(['day']);
  });

  it('a night session is open across midnight, until 02:30 on Saturday morning for Monday', () => {
    expect(windowAt(cal, sh('2026-11-26T01:30'))).toMatchObject({ tradingDay: '20261126', part: 'night' });
    expect(windowAt(cal, sh('2026-11-28T02:29'))).toMatchObject({ tradingDay: '20261130', part: 'night' });
    expect(windowAt(cal, sh('2026-11-28T02:30'))).toBeNull();
  });
});

describe('mdhub start --if-trading-day (scheduleVerdict)', () => {
  it('starts 10 min before the day open on a trading day', () => {
    const v = scheduleVerdict(cal, sh('2026-11-25T08:45'), 10);
    expect(v.start).toBe(true);
    expect(v.dateIsTradingDay).toBe(true);
    expect(v.next).toMatchObject({ tradingDay: '20261125', part: 'day' });
    expect(v.reason).toMatch(/opens in 10 min/);
  });

  it('does not start on a holiday morning, nor on a weekend', () => {
    const holiday = scheduleVerdict(cal, sh('2026-10-01T08:45'), 10);
    expect(holiday.start).toBe(false);
    expect(holiday.dateIsTradingDay).toBe(false);
    expect(holiday.next).toMatchObject({ tradingDay: '20261008', part: 'day' }); // no night before the first day after a closure
    const saturday = scheduleVerdict(cal, sh('2026-11-28T08:45'), 10);
    expect(saturday.start).toBe(false);
    expect(saturday.next).toMatchObject({ tradingDay: '20261130', part: 'day' });
  });

  it('does not start on the evening before a holiday (no night session), but does on a Friday evening (Monday night)', () => {
    const eve = scheduleVerdict(cal, sh('2026-09-30T20:45'), 10);
    expect(eve.dateIsTradingDay).toBe(true);
    expect(eve.start).toBe(false);
    expect(eve.reason).toMatch(/no session opens within 10 min/);
    const friday = scheduleVerdict(cal, sh('2026-11-27T20:45'), 10);
    expect(friday.start).toBe(true);
    expect(friday.next).toMatchObject({ tradingDay: '20261130', part: 'night' });
  });

  it('starts late inside an open session (a late cron or a reboot), not an hour early', () => {
    expect(scheduleVerdict(cal, sh('2026-11-26T01:00'), 10)).toMatchObject({ start: true, current: { part: 'night', tradingDay: '20261126' } });
    expect(scheduleVerdict(cal, sh('2026-11-25T07:55'), 10).start).toBe(false);
    expect(scheduleVerdict(cal, sh('2026-11-25T07:55'), 60).start).toBe(true);
  });
});

describe('the hub schedule (hub_outside_schedule)', () => {
  it('is the windows widened by an hour before and 30 min after', () => {
    expect(inSchedule(cal, sh('2026-11-25T08:00'))).toBe(true);
    expect(inSchedule(cal, sh('2026-11-25T15:40'))).toBe(true);
    expect(inSchedule(cal, sh('2026-11-25T17:00'))).toBe(false);
    expect(inSchedule(cal, sh('2026-11-28T12:00'))).toBe(false);
    expect(inSchedule(cal, sh('2026-09-30T21:30'))).toBe(false);
  });
});

describe('mdhub schedule crontab (crontabLines)', () => {
  const jobs = (zone: string, at = sh('2026-12-05T10:00'), lead = 10, lag = 10): string[] =>
    crontabLines({ calendar: cal, startCommand: 'START', stopCommand: 'STOP', zone, at, leadMin: lead, lagMin: lag }).filter((l) => !l.startsWith('#'));

  it('in Asia/Shanghai: weekdays, night closes after midnight Tue–Sat', () => {
    expect(jobs('Asia/Shanghai')).toEqual(['45 8 * * 1-5 START', '25 15 * * 1-5 STOP', '45 20 * * 1-5 START', '40 2 * * 2-6 STOP']);
  });

  it('in UTC the same instants: the night close moves back to Mon–Fri evenings', () => {
    expect(jobs('UTC')).toEqual(['45 0 * * 1-5 START', '25 7 * * 1-5 STOP', '45 12 * * 1-5 START', '40 18 * * 1-5 STOP']);
  });

  it('west of UTC the day start falls on the previous evening, Sun–Thu; daylight saving is noted', () => {
    const lines = crontabLines({ calendar: cal, startCommand: 'START', stopCommand: 'STOP', zone: 'America/New_York', at: sh('2026-12-05T10:00') });
    expect(lines.filter((l) => !l.startsWith('#'))).toEqual(['45 19 * * 0-4 START', '25 2 * * 1-5 STOP', '45 7 * * 1-5 START', '40 13 * * 1-5 STOP']);
    expect(lines.join('\n')).toMatch(/daylight saving/);
    expect(crontabLines({ calendar: cal, startCommand: 'S', stopCommand: 'T', zone: 'UTC' }).join('\n')).not.toMatch(/daylight saving/);
  });

  it('lead and lag minutes move the lines', () => {
    expect(jobs('Asia/Shanghai', undefined, 30, 5)).toEqual(['25 8 * * 1-5 START', '20 15 * * 1-5 STOP', '25 20 * * 1-5 START', '35 2 * * 2-6 STOP']);
  });

  it('zone offsets and weekday fields', () => {
    expect(zoneOffsetMin('Asia/Shanghai', sh('2026-07-01T00:00'))).toBe(480);
    expect(zoneOffsetMin('UTC', sh('2026-07-01T00:00'))).toBe(0);
    expect(zoneOffsetMin('America/New_York', sh('2026-07-01T12:00'))).toBe(-240);
    expect(weekdayField([1, 2, 3, 4, 5])).toBe('1-5');
    expect(weekdayField([2, 3, 4, 5, 6])).toBe('2-6');
    expect(weekdayField([0, 1, 2, 3, 4])).toBe('0-4');
    expect(weekdayField([6, 7])).toBe('0,6');
  });
});
