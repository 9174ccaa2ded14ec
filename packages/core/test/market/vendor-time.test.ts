import { describe, expect, it } from 'vitest';
import { TradingCalendar, vendorTime } from '../../src/market/index.js';
import type { VendorTimeInput } from '../../src/market/index.js';

const cal = new TradingCalendar();
const sh = (iso: string): number => Date.parse(`${iso}+08:00`);
const base: Omit<VendorTimeInput, 'updateTime' | 'updateMillisec' | 'localMs'> = { exchange: 'SHFE', template: 'commodity_night_0100' };

describe('vendorTime', () => {
  it('SHFE 23:59:59.500 received at 00:00:00.2 is dated the previous calendar day', () => {
    const r = vendorTime({ ...base, updateTime: '23:59:59', updateMillisec: 500, actionDay: '20260305', tradingDay: '20260306', localMs: sh('2026-03-06T00:00:00.200') }, cal);
    expect(r).toEqual({ datetime: sh('2026-03-05T23:59:59.500'), trading_day: '20260306' });
  });

  it('a tick stamped just after midnight, received just before it (slow local clock)', () => {
    const r = vendorTime({ ...base, updateTime: '00:00:00', updateMillisec: 0, localMs: sh('2026-03-05T23:59:59.900') }, cal);
    expect(r).toEqual({ datetime: sh('2026-03-06T00:00:00'), trading_day: '20260306' });
  });

  it('DCE night tick: ActionDay is the next trading day and is ignored', () => {
    const r = vendorTime({
      exchange: 'DCE', template: 'commodity_night_2300', updateTime: '21:30:00', updateMillisec: 817,
      actionDay: '20260309', tradingDay: '20260309', localMs: sh('2026-03-06T21:30:00.850'),
    }, cal);
    expect(r).toEqual({ datetime: sh('2026-03-06T21:30:00.817'), trading_day: '20260309' });
  });

  it('DCE millis 85 means .085, not .85', () => {
    const r = vendorTime({ exchange: 'DCE', template: 'commodity_night_2300', updateTime: '10:00:01', updateMillisec: 85, localMs: sh('2026-03-09T10:00:01.300') }, cal);
    expect(r).toEqual({ datetime: sh('2026-03-09T10:00:01.085'), trading_day: '20260309' });
  });

  it('CZCE without millis and with a calendar-date TradingDay at night', () => {
    const r = vendorTime({
      exchange: 'CZCE', template: 'commodity_night_2300', updateTime: '22:15:03', updateMillisec: 0,
      actionDay: '20260305', tradingDay: '20260305', localMs: sh('2026-03-05T22:15:03.700'),
    }, cal);
    expect(r).toEqual({ datetime: sh('2026-03-05T22:15:03'), trading_day: '20260306' });
  });

  it('Saturday 01:30 gold tick belongs to Monday', () => {
    const r = vendorTime({ ...base, template: 'commodity_night_0230', updateTime: '01:30:00', updateMillisec: 500, actionDay: '20260307', localMs: sh('2026-03-07T01:30:00.600') }, cal);
    expect(r).toEqual({ datetime: sh('2026-03-07T01:30:00.500'), trading_day: '20260309' });
  });

  it('a tick on weekend day-time falls back to the next trading day', () => {
    const r = vendorTime({ ...base, updateTime: '10:00:00', updateMillisec: 0, localMs: sh('2026-03-07T10:00:00.100') }, cal);
    expect(r).toEqual({ datetime: sh('2026-03-07T10:00:00'), trading_day: '20260309' });
  });

  it('accepts a one-digit hour', () => {
    const r = vendorTime({ ...base, updateTime: '9:00:00', updateMillisec: 0, localMs: sh('2026-03-09T09:00:00.020') }, cal);
    expect(r).toEqual({ datetime: sh('2026-03-09T09:00:00'), trading_day: '20260309' });
  });

  it('rejects empty or malformed times', () => {
    const localMs = sh('2026-03-09T10:00:00');
    for (const [updateTime, updateMillisec] of [['', 0], ['  ', 0], ['25:00:00', 0], ['10:61:00', 0], ['10:00', 0], ['abc', 0], ['10:00:00', 1000], ['10:00:00', -1], ['10:00:00', Number.NaN]] as const) {
      expect(vendorTime({ ...base, updateTime, updateMillisec, localMs }, cal), `${updateTime}/${updateMillisec}`).toEqual({ error: 'MDH_ERR_VENDOR_BAD_TIME' });
    }
  });
});
