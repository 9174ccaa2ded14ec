import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TradingCalendar, addDays, atShanghai, parseMarketData, shanghaiDate, shanghaiTime } from '../../src/market/index.js';
import type { SessionTemplateId } from '../../src/market/index.js';

const cal = new TradingCalendar();
/** Epoch ms of an Asia/Shanghai wall-clock time, computed independently of the module under test. */
const sh = (iso: string): number => Date.parse(`${iso}+08:00`);
const raw = JSON.parse(readFileSync(new URL('../../data/markets.json', import.meta.url), 'utf8')) as {
  holidays: Record<string, string[]>;
  no_night_session_evenings: Record<string, string[]>;
  first_trading_day_after_closure: Record<string, string[]>;
};
const compact = (iso: string): string => iso.replaceAll('-', '');

function tradingDaysIn(year: number): number {
  let n = 0;
  for (let d = `${year}0101`; d <= `${year}1231`; d = addDays(d, 1)) if (cal.isTradingDay(d)) n++;
  return n;
}

describe('time helpers (fixed +08:00, host TZ irrelevant)', () => {
  it('runs under the host TZ of its vitest project', () => {
    const hostOffset = new Date(sh('2026-03-06T12:00:00')).getTimezoneOffset();
    expect(hostOffset).toBe({ UTC: 0, 'Asia/Shanghai': -480 }[process.env.TZ ?? 'UTC']);
  });

  it('converts between epoch ms and Shanghai wall clock', () => {
    expect(atShanghai('20260306', '21:00')).toBe(sh('2026-03-06T21:00:00'));
    expect(atShanghai('20260307', '00:00:01')).toBe(sh('2026-03-07T00:00:01'));
    expect(shanghaiDate(sh('2026-03-06T23:59:59.999'))).toBe('20260306');
    expect(shanghaiDate(sh('2026-03-07T00:00:00'))).toBe('20260307');
    expect(shanghaiDate(Date.parse('2026-03-06T16:00:00Z'))).toBe('20260307');
    expect(shanghaiTime(sh('2026-03-07T02:30:05.900'))).toBe('02:30:05');
  });

  it('rejects malformed days and times', () => {
    expect(() => atShanghai('2026-03-06', '09:00')).toThrow(/MDH_ERR_MARKET_BAD_ARG/);
    expect(() => atShanghai('20260230', '09:00')).toThrow(/MDH_ERR_MARKET_BAD_ARG/);
    expect(() => atShanghai('20260306', '24:00')).toThrow(/MDH_ERR_MARKET_BAD_ARG/);
  });
});

describe('trading days', () => {
  it('2026 has exactly 242 trading days', () => {
    expect(tradingDaysIn(2026)).toBe(242);
  });

  it('every holiday in markets.json is a weekday closure', () => {
    const days = Object.values(raw.holidays).flat().map(compact);
    expect(days.length).toBe(19);
    for (const d of days) {
      expect(cal.isTradingDay(d), d).toBe(false);
    }
  });

  it('weekend make-up workdays are not trading days', () => {
    for (const d of ['20260104', '20260214', '20260228', '20260509', '20260920', '20261010']) {
      expect(cal.isTradingDay(d), d).toBe(false);
    }
  });

  it('ordinary weekdays are trading days, weekends are not', () => {
    expect(cal.isTradingDay('20260105')).toBe(true);
    expect(cal.isTradingDay('20260306')).toBe(true);
    expect(cal.isTradingDay('20260307')).toBe(false);
    expect(cal.isTradingDay('20260308')).toBe(false);
  });

  it('weekdays past the holiday data count as trading days', () => {
    expect(cal.dataEndsOn()).toBe('20261231');
    expect(cal.isTradingDay('20270101')).toBe(true);
    expect(cal.isTradingDay('20270102')).toBe(false);
    expect(tradingDaysIn(2027)).toBe(261);
    expect(cal.nextTradingDay('20261231')).toBe('20270101');
  });

  it('steps over weekends and closures', () => {
    expect(cal.nextTradingDay('20260306')).toBe('20260309');
    expect(cal.prevTradingDay('20260309')).toBe('20260306');
    expect(cal.nextTradingDay('20260930')).toBe('20261008');
    expect(cal.prevTradingDay('20261008')).toBe('20260930');
    expect(cal.nextTradingDay('20260213')).toBe('20260224');
    expect(cal.prevTradingDay('20260105')).toBe('20251231');
  });
});

describe('night sessions', () => {
  it('Friday night belongs to Monday', () => {
    expect(cal.hasNightSession('20260309')).toBe(true);
    const [night] = cal.segments('commodity_night_2300', '20260309');
    expect(night).toEqual({ part: 'night', start: sh('2026-03-06T21:00:00'), end: sh('2026-03-06T23:00:00') });
  });

  it('no night segment after an evening in no_night_session_evenings', () => {
    expect(cal.hasNightSession('20260407')).toBe(false);
    expect(cal.segments('commodity_night_0230', '20260407').map((s) => s.part)).toEqual(['day', 'day', 'day']);
    expect(cal.hasNightSession('20261008')).toBe(false); // after 2026-09-30
    expect(cal.hasNightSession('20270101')).toBe(false); // 2026-12-31, expected (unconfirmed)
    for (const evening of Object.values(raw.no_night_session_evenings).flat().map(compact)) {
      expect(cal.hasNightSession(cal.nextTradingDay(evening)), evening).toBe(false);
    }
  });

  it('no night segment on first trading days after a closure; it resumes that evening', () => {
    for (const d of Object.values(raw.first_trading_day_after_closure).flat().map(compact)) {
      expect(cal.hasNightSession(d), d).toBe(false);
      expect(cal.hasNightSession(cal.nextTradingDay(d)), d).toBe(true);
    }
    const [night] = cal.segments('commodity_night_2300', '20260408');
    expect(night).toEqual({ part: 'night', start: sh('2026-04-07T21:00:00'), end: sh('2026-04-07T23:00:00') });
  });

  it('each list cancels the night on its own', () => {
    const only = (evenings: string[], firstDays: string[]) => {
      const data = { ...(raw as unknown as Record<string, unknown>), no_night_session_evenings: { x: evenings }, first_trading_day_after_closure: { x: firstDays } };
      return new TradingCalendar(parseMarketData(data));
    };
    const byFirstDay = only([], ['2026-03-11']);
    expect(byFirstDay.hasNightSession('20260311')).toBe(false);
    expect(byFirstDay.hasNightSession('20260312')).toBe(true);
    const byEvening = only(['2026-03-10'], []);
    expect(byEvening.hasNightSession('20260311')).toBe(false);
    expect(byEvening.hasNightSession('20260310')).toBe(true);
  });

  it('ordinary days and past the data have night sessions', () => {
    expect(cal.hasNightSession('20260310')).toBe(true);
    expect(cal.hasNightSession('20270105')).toBe(true);
    expect(cal.hasNightSession('20260307')).toBe(false); // not a trading day
  });
});

describe('segments', () => {
  const day = (a: string, b: string) => ({ part: 'day', start: sh(`2026-03-09T${a}:00`), end: sh(`2026-03-09T${b}:00`) });
  const commodityDay = [day('09:00', '10:15'), day('10:30', '11:30'), day('13:30', '15:00')];
  const night = (end: string) => ({ part: 'night', start: sh('2026-03-06T21:00:00'), end: sh(end) });
  const expected: Record<SessionTemplateId, object[]> = {
    commodity_day: commodityDay,
    commodity_night_2300: [night('2026-03-06T23:00:00'), ...commodityDay],
    commodity_night_0100: [night('2026-03-07T01:00:00'), ...commodityDay],
    commodity_night_0230: [night('2026-03-07T02:30:00'), ...commodityDay],
    cffex_index: [day('09:30', '11:30'), day('13:00', '15:00')],
    cffex_bond: [day('09:30', '11:30'), day('13:00', '15:15')],
    cffex_index_option: [day('09:30', '11:30'), day('13:00', '15:00')],
    etf_option: [day('09:30', '11:30'), day('13:00', '15:00')],
  };
  for (const [template, segs] of Object.entries(expected)) {
    it(`${template} on Monday 2026-03-09`, () => {
      expect(cal.segments(template as SessionTemplateId, '20260309')).toEqual(segs);
    });
  }

  it('night ending 02:30 crosses midnight on a weekday too', () => {
    const [n] = cal.segments('commodity_night_0230', '20260311');
    expect(n).toEqual({ part: 'night', start: sh('2026-03-10T21:00:00'), end: sh('2026-03-11T02:30:00') });
  });

  it('no segments on a non-trading day', () => {
    expect(cal.segments('commodity_day', '20260307')).toEqual([]);
    expect(cal.segments('etf_option', '20261001')).toEqual([]);
  });
});

describe('auctions', () => {
  it('night products: 20:55 entry / 20:59 match on the previous evening, and the 08:55/08:59 day auction', () => {
    expect(cal.auctions('commodity_night_0100', '20260309')).toEqual([
      { phase: 'night_open', entryStart: sh('2026-03-06T20:55:00'), matchStart: sh('2026-03-06T20:59:00'), end: sh('2026-03-06T21:00:00') },
      { phase: 'day_open', entryStart: sh('2026-03-09T08:55:00'), matchStart: sh('2026-03-09T08:59:00'), end: sh('2026-03-09T09:00:00') },
    ]);
  });

  it('after an evening without night session only the 08:55-09:00 day auction', () => {
    for (const t of ['commodity_night_2300', 'commodity_night_0230', 'commodity_day'] as const) {
      expect(cal.auctions(t, '20260407'), t).toEqual([
        { phase: 'day_open', entryStart: sh('2026-04-07T08:55:00'), matchStart: sh('2026-04-07T08:59:00'), end: sh('2026-04-07T09:00:00') },
      ]);
    }
  });

  it('CFFEX futures match at 09:29', () => {
    for (const t of ['cffex_index', 'cffex_bond'] as const) {
      expect(cal.auctions(t, '20260309')).toEqual([
        { phase: 'open', entryStart: sh('2026-03-09T09:25:00'), matchStart: sh('2026-03-09T09:29:00'), end: sh('2026-03-09T09:30:00') },
      ]);
    }
    expect(cal.auctions('cffex_index_option', '20260309').map((a) => a.phase)).toEqual(['open', 'close']);
  });

  it('ETF options: 09:15-09:25 with the result at 09:25, closing auction 14:57-15:00', () => {
    expect(cal.auctions('etf_option', '20260309')).toEqual([
      { phase: 'open', entryStart: sh('2026-03-09T09:15:00'), matchStart: sh('2026-03-09T09:25:00'), end: sh('2026-03-09T09:25:00') },
      { phase: 'close', entryStart: sh('2026-03-09T14:57:00'), matchStart: sh('2026-03-09T15:00:00'), end: sh('2026-03-09T15:00:00') },
    ]);
  });

  it('none on a non-trading day', () => {
    expect(cal.auctions('commodity_night_2300', '20260307')).toEqual([]);
  });
});

describe('tradingDayAt', () => {
  const at = (iso: string, t: SessionTemplateId = 'commodity_night_2300') => cal.tradingDayAt(t, sh(iso));

  it('rolls at the evening: 23:59:59 and 00:00:00 belong to the same (next) trading day', () => {
    expect(at('2026-03-05T23:59:59.999')).toBe('20260306');
    expect(at('2026-03-06T00:00:00')).toBe('20260306');
    expect(at('2026-03-05T17:59:59.999')).toBe('20260305');
    expect(at('2026-03-05T18:00:00')).toBe('20260306');
  });

  it('Friday evening and Saturday early morning belong to Monday', () => {
    expect(at('2026-03-06T21:30:00')).toBe('20260309');
    expect(at('2026-03-06T23:59:59')).toBe('20260309');
    expect(at('2026-03-07T00:00:00')).toBe('20260309');
    expect(at('2026-03-07T01:00:00', 'commodity_night_0230')).toBe('20260309');
  });

  it('day-time of a trading day, also between segments', () => {
    expect(at('2026-03-09T08:30:00')).toBe('20260309');
    expect(at('2026-03-09T12:00:00')).toBe('20260309');
    expect(at('2026-03-09T15:30:00', 'cffex_index')).toBe('20260309');
  });

  it('null on weekend or holiday day-time and evenings of non-trading days', () => {
    expect(at('2026-03-07T10:00:00')).toBeNull();
    expect(at('2026-03-08T21:00:00')).toBeNull();
    expect(at('2026-03-09T03:00:00')).toBeNull(); // Sunday night
    expect(at('2026-10-01T10:00:00')).toBeNull();
  });

  it('an evening without night session still belongs to the next trading day', () => {
    expect(at('2026-09-30T21:30:00')).toBe('20261008');
    expect(at('2026-04-03T21:30:00')).toBe('20260407');
  });
});

describe('segmentAt / isInSession', () => {
  it('finds the night segment after midnight only for templates that run that late', () => {
    const t = sh('2026-03-07T02:00:00');
    expect(cal.segmentAt('commodity_night_0230', t)).toEqual({ part: 'night', start: sh('2026-03-06T21:00:00'), end: sh('2026-03-07T02:30:00') });
    expect(cal.segmentAt('commodity_night_0100', t)).toBeNull();
    expect(cal.isInSession('commodity_night_0100', sh('2026-03-07T00:59:59'))).toBe(true);
    expect(cal.isInSession('commodity_night_2300', sh('2026-03-06T23:00:00'))).toBe(false);
  });

  it('segments are [start, end)', () => {
    expect(cal.isInSession('commodity_day', sh('2026-03-09T14:59:59.999'))).toBe(true);
    expect(cal.isInSession('commodity_day', sh('2026-03-09T15:00:00'))).toBe(false);
    expect(cal.isInSession('commodity_day', sh('2026-03-09T09:00:00'))).toBe(true);
    expect(cal.isInSession('commodity_day', sh('2026-03-09T10:20:00'))).toBe(false);
    expect(cal.isInSession('cffex_bond', sh('2026-03-09T15:10:00'))).toBe(true);
    expect(cal.isInSession('cffex_index', sh('2026-03-09T15:10:00'))).toBe(false);
  });

  it('no night trading on an evening without night session', () => {
    expect(cal.isInSession('commodity_night_0230', sh('2026-04-03T21:30:00'))).toBe(false);
    expect(cal.isInSession('commodity_night_0230', sh('2026-04-02T21:30:00'))).toBe(true);
  });
});

describe('data expiry warning', () => {
  it('fires from 30 days before the data ends, and after', () => {
    expect(cal.dataExpiryWarning(sh('2026-11-25T12:00:00'))).toBeNull();
    expect(cal.dataExpiryWarning(sh('2026-11-30T23:59:59'))).toBeNull();
    expect(cal.dataExpiryWarning(sh('2026-12-01T00:00:00'))).toEqual({ daysLeft: 30, endsOn: '20261231' });
    expect(cal.dataExpiryWarning(sh('2026-12-31T10:00:00'))).toEqual({ daysLeft: 0, endsOn: '20261231' });
    expect(cal.dataExpiryWarning(sh('2027-01-05T10:00:00'))).toEqual({ daysLeft: -5, endsOn: '20261231' });
  });
});
