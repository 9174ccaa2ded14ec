import type { MarketTick } from '@mdhub/protocol';
import { describe, expect, it } from 'vitest';
import { createCleansingPipeline } from '../../src/cleansing/index.js';
import type { CheckResult, CleansingPipeline } from '../../src/cleansing/index.js';
import { CU, ETF_OPT, IF, RB, SR, at, next, round, tick } from './helpers.js';
import type { Spec } from './helpers.js';

const DBL_MAX = 1.7976931348623157e308;

function rule(r: CheckResult): string {
  return r.ok ? 'ok' : r.rule;
}

/** Feeds `n` quiet, consistent ticks of `spec` (price wandering ±1 tick) and returns the last one. */
function warm(p: CleansingPipeline, spec: Spec, n = 60, first: MarketTick = tick(spec), source = 'A'): MarketTick {
  let t = first;
  expect(rule(p.check(t, source))).toBe('ok');
  for (let i = 1; i < n; i++) {
    const price = round(first.last_price + ((i % 3) - 1) * spec.tick, spec.tick);
    t = next(spec, t, price, i % 4 === 0 ? 0 : 2);
    expect(rule(p.check(t, source))).toBe('ok');
  }
  return t;
}

describe('unknown_instrument', () => {
  it('rejects ids that do not fit the exchange or name no product', () => {
    const p = createCleansingPipeline();
    expect(rule(p.check(tick({ ...RB, symbol: 'RB2605' })))).toBe('unknown_instrument');
    expect(rule(p.check(tick({ ...RB, symbol: 'rb26' })))).toBe('unknown_instrument');
    expect(rule(p.check(tick({ ...RB, symbol: 'zz2605' })))).toBe('unknown_instrument');
    expect(rule(p.check(tick({ ...RB, exchange: 'CZCE' })))).toBe('unknown_instrument');
    expect(rule(p.check(tick(RB)))).toBe('ok');
  });
});

describe('non_finite', () => {
  it('rejects DBL_MAX, NaN and Infinity in any numeric field', () => {
    const p = createCleansingPipeline();
    expect(rule(p.check(tick(RB, { last_price: DBL_MAX })))).toBe('non_finite');
    expect(rule(p.check(tick(RB, { bid_price_3: Number.NaN })))).toBe('non_finite');
    expect(rule(p.check(tick(RB, { turnover: Number.POSITIVE_INFINITY })))).toBe('non_finite');
    expect(rule(p.check(tick(RB, { ask_volume_5: -DBL_MAX })))).toBe('non_finite');
    expect(rule(p.check(tick(RB, { datetime: Number.NaN })))).toBe('non_finite');
    const r = p.check(tick(RB, { settlement: DBL_MAX }));
    expect(r.ok ? '' : r.reason).toContain('settlement');
  });
});

describe('non_positive_price', () => {
  it('rejects a missing last price once traded, and an empty price with volume on that side', () => {
    const p = createCleansingPipeline();
    expect(rule(p.check(tick(RB, { last_price: 0 })))).toBe('non_positive_price');
    expect(rule(p.check(tick(RB, { bid_price_1: 0 })))).toBe('non_positive_price');
    expect(rule(p.check(tick(RB, { ask_price_1: -3500 })))).toBe('non_positive_price');
    expect(rule(p.check(tick(RB, { pre_close: -1 })))).toBe('non_positive_price');
  });
  it('passes an instrument that has not traded yet (last 0, volume 0)', () => {
    const p = createCleansingPipeline();
    const t = tick(RB, { volume: 0, turnover: 0, last_price: 0, high_price: 0, low_price: 0, open_price: 0, average_price: 0, bid_price_1: 3499, ask_price_1: 3501 });
    expect(rule(p.check(t))).toBe('ok');
  });
  it('passes a deep OTM option priced at one tick with an empty bid side', () => {
    const p = createCleansingPipeline();
    const t = tick(ETF_OPT, {
      last_price: 0.0001, limit_up: 0.3, limit_down: 0.0001, high_price: 0.0001, low_price: 0.0001, open_price: 0.0001,
      bid_price_1: 0, bid_volume_1: 0, ask_price_1: 0.0001, ask_volume_1: 20_000, volume: 50,
      datetime: at('20260316', '10:00:00'),
    });
    expect(rule(p.check(t))).toBe('ok');
    let u = t;
    for (let i = 0; i < 100; i++) {
      u = next(ETF_OPT, u, 0.0001, i % 5 === 0 ? 1 : 0, 500, { bid_price_1: 0, bid_volume_1: 0, ask_price_1: 0.0001, ask_volume_1: 20_000 - i });
      expect(rule(p.check(u))).toBe('ok');
    }
  });
});

describe('outside_limits', () => {
  it('rejects last, bid or ask beyond the limits', () => {
    const p = createCleansingPipeline();
    const t = tick(RB);
    expect(rule(p.check({ ...t, last_price: t.limit_up + 1, high_price: t.limit_up + 1 }))).toBe('outside_limits');
    expect(rule(p.check({ ...t, bid_price_1: t.limit_down - 1 }))).toBe('outside_limits');
    expect(rule(p.check({ ...t, ask_price_1: t.limit_up + 5 }))).toBe('outside_limits');
  });
  it('passes a move to limit-up and a long stay there with an empty ask side', () => {
    const p = createCleansingPipeline();
    let t = warm(p, RB);
    const up = t.limit_up;
    // climb in steps of a few ticks, then lock
    for (let price = t.last_price + 3; price < up; price += 3) {
      t = next(RB, t, price, 5);
      expect(rule(p.check(t))).toBe('ok');
    }
    for (let i = 0; i < 600; i++) {
      t = next(RB, t, up, i % 3 === 0 ? 1 : 0, 500, { bid_price_1: up, bid_volume_1: 40_000 - i, ask_price_1: 0, ask_volume_1: 0 });
      expect(rule(p.check(t))).toBe('ok');
    }
  });
});

describe('crossed_book', () => {
  it('rejects bid ≥ ask when both sides are present', () => {
    const p = createCleansingPipeline();
    expect(rule(p.check(tick(RB, { bid_price_1: 3501, ask_price_1: 3500 })))).toBe('crossed_book');
    expect(rule(p.check(tick(RB, { bid_price_1: 3500, ask_price_1: 3500 })))).toBe('crossed_book');
    expect(rule(p.check(tick(RB, { bid_price_1: 3500, ask_price_1: 0, ask_volume_1: 0 })))).toBe('ok');
  });
});

describe('ohlc_inconsistent', () => {
  it('rejects a last price outside the day range it reports, and low above high', () => {
    const p = createCleansingPipeline();
    const range = { high_price: 3520, low_price: 3480, vwap: 3500 };
    expect(rule(p.check(tick(RB, { ...range, last_price: 3530, ask_price_1: 3530, bid_price_1: 3529 })))).toBe('ohlc_inconsistent');
    expect(rule(p.check(tick(RB, { ...range, last_price: 3470, ask_price_1: 3470, bid_price_1: 3469 })))).toBe('ohlc_inconsistent');
    expect(rule(p.check(tick(RB, { high_price: 3490, low_price: 3510 })))).toBe('ohlc_inconsistent');
    expect(rule(p.check(tick(RB, { ...range, last_price: 3520, ask_price_1: 3520, bid_price_1: 3519 })))).toBe('ok');
  });
});

describe('negative_volume', () => {
  it('rejects negative volume, open interest or book volumes', () => {
    const p = createCleansingPipeline();
    expect(rule(p.check(tick(RB, { bid_volume_1: -3 })))).toBe('negative_volume');
    expect(rule(p.check(tick(RB, { open_interest: -1 })))).toBe('negative_volume');
    expect(rule(p.check(tick(RB, { volume: -1000, turnover: 0 })))).toBe('negative_volume');
  });
});

describe('volume_decrease', () => {
  it('rejects cumulative volume falling within a trading day', () => {
    const p = createCleansingPipeline();
    const t = warm(p, RB);
    expect(rule(p.check(next(RB, t, t.last_price, 0, 500, { volume: t.volume - 10 })))).toBe('volume_decrease');
    expect(rule(p.check(next(RB, t, t.last_price, 2)))).toBe('ok');
  });
  it('passes the reset at a new trading day (night auction of the next day)', () => {
    const p = createCleansingPipeline();
    const close = tick(RB, { datetime: at('20260316', '15:00:00'), volume: 900_000 });
    expect(rule(p.check(close))).toBe('ok');
    const auction = tick(RB, {
      datetime: at('20260316', '20:59:00'), trading_day: '20260317', volume: 3_000, last_price: 3510, open_price: 3510,
      high_price: 3510, low_price: 3510, bid_price_1: 3509, ask_price_1: 3510,
    });
    expect(rule(p.check(auction))).toBe('ok');
    expect(rule(p.check(next(RB, auction, 3511, 7, 61_000)))).toBe('ok');
  });
  it('re-anchors when another source shows the lower volume (our anchor was bad)', () => {
    const p = createCleansingPipeline({ config: { disable: ['turnover_mismatch', 'turnover_decrease'] } });
    const t = warm(p, RB, 10);
    warm(p, RB, 10, tick(RB), 'B');
    // source A accepted a bogus high volume (say a plugin let it through)
    expect(rule(p.check(next(RB, t, t.last_price, 5_000), 'A'))).toBe('ok');
    const good = next(RB, t, t.last_price, 2, 1000);
    expect(rule(p.check(good, 'B'))).toBe('ok');
    expect(rule(p.check(good, 'A'))).toBe('ok');
  });
  it('re-anchors after a few consistent ticks on a single source', () => {
    const p = createCleansingPipeline({ config: { disable: ['turnover_mismatch', 'turnover_decrease'] } });
    let t = warm(p, RB, 10);
    expect(rule(p.check(next(RB, t, t.last_price, 5_000)))).toBe('ok');
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      t = next(RB, t, t.last_price, 1);
      seen.push(rule(p.check(t)));
    }
    expect(seen).toEqual(['volume_decrease', 'volume_decrease', 'volume_decrease', 'volume_decrease', 'ok', 'ok']);
  });
});

describe('turnover_decrease', () => {
  it('rejects a falling turnover outside CZCE', () => {
    const p = createCleansingPipeline();
    const t = warm(p, RB);
    expect(rule(p.check(next(RB, t, t.last_price, 0, 500, { turnover: t.turnover * 0.9 })))).toBe('turnover_decrease');
  });
  it('passes a falling turnover on CZCE (computed from a rounded average price)', () => {
    const p = createCleansingPipeline();
    const t = warm(p, SR);
    const u = next(SR, t, t.last_price, 1);
    u.turnover = u.volume * u.average_price * SR.mult;
    const v = next(SR, u, u.last_price, 1);
    v.turnover = u.turnover - 5; // rounding made it fall
    v.average_price = u.average_price;
    expect(rule(p.check(u))).toBe('ok');
    expect(rule(p.check(v))).toBe('ok');
  });
});

describe('turnover_mismatch', () => {
  it('rejects a turnover whose VWAP lies outside the day range', () => {
    const p = createCleansingPipeline();
    expect(rule(p.check(tick(RB, { turnover: 1000 * 3500 * 10 * 1.05 })))).toBe('turnover_mismatch');
    expect(rule(p.check(tick(RB, { turnover: 1000 * 3500 })))).toBe('turnover_mismatch'); // multiplier missing
  });
  it('rejects turnover added for a few lots at an impossible price (incremental VWAP)', () => {
    const p = createCleansingPipeline();
    const t = warm(p, RB);
    const u = next(RB, t, t.last_price, 2);
    u.turnover += 50_000; // 2 lots, +2500 per unit of price each
    expect(rule(p.check(u))).toBe('turnover_mismatch');
    expect(rule(p.check(next(RB, t, t.last_price, 0, 500, { turnover: t.turnover + 10_000 })))).toBe('turnover_mismatch');
  });
  it('rejects average_price / multiplier outside the day range', () => {
    const p = createCleansingPipeline();
    expect(rule(p.check(tick(RB, { average_price: 3500 })))).toBe('turnover_mismatch');
  });
  it('accepts both CZCE turnover forms, each on its own source, and holds a source to its form', () => {
    const p = createCleansingPipeline();
    const withMult = tick(SR);
    const without = { ...withMult, turnover: withMult.turnover / SR.mult };
    expect(rule(p.check(withMult, 'tcp'))).toBe('ok');
    expect(rule(p.check(without, 'multicast'))).toBe('ok');
    const a = next(SR, withMult, 3500, 2);
    const b = { ...a, turnover: a.turnover / SR.mult };
    expect(rule(p.check(a, 'tcp'))).toBe('ok');
    expect(rule(p.check(b, 'multicast'))).toBe('ok');
    // a ×10 / ÷10 error on one source shows up as the other form
    const c = next(SR, a, 3500, 2);
    expect(rule(p.check({ ...c, turnover: c.turnover / SR.mult }, 'tcp'))).toBe('turnover_mismatch');
    expect(rule(p.check(c, 'tcp'))).toBe('ok');
  });
  it('rejects a CZCE turnover matching neither form', () => {
    const p = createCleansingPipeline();
    const t = tick(SR);
    expect(rule(p.check({ ...t, turnover: t.turnover * 1.5 }))).toBe('turnover_mismatch');
  });
});

describe('price_jump', () => {
  it('rejects a last price far beyond the instrument\'s normal move, inside limits and day range', () => {
    const p = createCleansingPipeline();
    const t = warm(p, RB, 80);
    const bad = next(RB, t, t.last_price + 60, 2, 500, { high_price: t.last_price + 60 });
    // the book did not follow: not self-corroborated
    bad.bid_price_1 = t.bid_price_1;
    bad.ask_price_1 = t.ask_price_1;
    expect(rule(p.check(bad))).toBe('price_jump');
    expect(rule(p.check(next(RB, t, t.last_price + 1, 2, 1000)))).toBe('ok');
  });
  it('adapts to volatility: moves of a few ticks on a volatile instrument pass', () => {
    const p = createCleansingPipeline();
    let t = tick(IF, { last_price: 4000, limit_up: 4400, limit_down: 3600, high_price: 4100, low_price: 3900, bid_price_1: 3999.8, ask_price_1: 4000 });
    expect(rule(p.check(t))).toBe('ok');
    for (let i = 0; i < 300; i++) {
      const step = ((i * 7919) % 21) - 10; // −10…+10 ticks
      t = next(IF, t, round(t.last_price + step * IF.tick, IF.tick), 3);
      expect(rule(p.check(t))).toBe('ok');
    }
  });
  it('passes the first tick after the open auction gapping far from the previous close', () => {
    const p = createCleansingPipeline();
    const close = warm(p, RB, 80, tick(RB, { datetime: at('20260316', '14:59:00') }));
    const gap = tick(RB, {
      datetime: at('20260316', '20:59:12'), trading_day: '20260317', volume: 2_000, pre_close: close.last_price,
      last_price: close.last_price + 150, open_price: close.last_price + 150, high_price: close.last_price + 150,
      low_price: close.last_price + 150, bid_price_1: close.last_price + 149, ask_price_1: close.last_price + 150,
    });
    expect(rule(p.check(gap))).toBe('ok');
    // and within the same day after the lunch break (a new session window)
    const p2 = createCleansingPipeline();
    const am = warm(p2, RB, 80, tick(RB, { datetime: at('20260316', '11:29:00') }));
    const pm = next(RB, am, am.last_price + 40, 3, at('20260316', '13:30:00') - am.datetime, { high_price: am.last_price + 40 });
    pm.bid_price_1 = am.bid_price_1;
    expect(rule(p2.check(pm))).toBe('ok');
  });
  it('passes a contract\'s first trading day (no history) and its first moves', () => {
    const p = createCleansingPipeline();
    let t = tick(RB, { volume: 3, pre_close: 3600, pre_settlement: 3600, open_price: 3500 });
    expect(rule(p.check(t))).toBe('ok');
    for (let i = 0; i < 10; i++) {
      t = next(RB, t, t.last_price + 12, 2);
      expect(rule(p.check(t))).toBe('ok');
    }
  });
  it('re-anchors after N consistent ticks of one source', () => {
    const p = createCleansingPipeline();
    let t = warm(p, RB, 80);
    const level = t.last_price + 80;
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      t = next(RB, t, level, 1, 500, { bid_price_1: 3400, ask_price_1: 3700 });
      seen.push(rule(p.check(t)));
    }
    expect(seen).toEqual(['price_jump', 'price_jump', 'ok', 'ok']);
  });
  it('accepts a jump at once when another source shows the same state', () => {
    const p = createCleansingPipeline();
    const a = warm(p, RB, 80, tick(RB), 'A');
    warm(p, RB, 80, tick(RB), 'B');
    const jumped = next(RB, a, a.last_price + 80, 1, 500, { bid_price_1: 3400, ask_price_1: 3700 });
    expect(rule(p.check(jumped, 'A'))).toBe('price_jump');
    expect(rule(p.check(jumped, 'B'))).toBe('ok');
    expect(rule(p.check(next(RB, jumped, jumped.last_price, 1), 'A'))).toBe('ok');
  });
  it('accepts a jump that corroborates itself (new high at last, book at the price, new volume)', () => {
    const p = createCleansingPipeline();
    const t = warm(p, RB, 80);
    const up = t.last_price + 80;
    expect(rule(p.check(next(RB, t, up, 30, 500, { high_price: up })))).toBe('ok');
  });
  it('passes prices identical for a long time, then a normal move', () => {
    const p = createCleansingPipeline();
    let t = tick(RB, { datetime: at('20260316', '09:00:10') });
    expect(rule(p.check(t))).toBe('ok');
    for (let i = 0; i < 2000; i++) {
      t = next(RB, t, t.last_price, i % 2);
      expect(rule(p.check(t))).toBe('ok');
    }
    expect(rule(p.check(next(RB, t, t.last_price + 4, 2)))).toBe('ok');
  });
  it('passes a quiet instrument ticking once per minute', () => {
    const p = createCleansingPipeline();
    let t = tick(RB, { datetime: at('20260316', '09:01:00') });
    expect(rule(p.check(t))).toBe('ok');
    for (let i = 0; i < 60; i++) {
      t = next(RB, t, t.last_price + ((i % 5) - 2) * 3, 1, 60_000);
      if (t.datetime >= at('20260316', '10:15:00') && t.datetime < at('20260316', '10:30:00')) continue;
      expect(rule(p.check(t))).toBe('ok');
    }
  });
  it('passes book-only updates with volume unchanged (option market makers)', () => {
    const p = createCleansingPipeline();
    let t = tick(ETF_OPT, {
      last_price: 0.1234, limit_up: 0.4, limit_down: 0.0001, high_price: 0.13, low_price: 0.12, open_price: 0.125,
      bid_price_1: 0.1233, ask_price_1: 0.1236, volume: 100,
    });
    expect(rule(p.check(t))).toBe('ok');
    for (let i = 0; i < 500; i++) {
      const bid = round(0.1230 + (i % 7) * 0.0001, 0.0001);
      t = next(ETF_OPT, t, t.last_price, 0, 500, { bid_price_1: bid, ask_price_1: round(bid + 0.0003, 0.0001), bid_volume_1: 10 + (i % 9) });
      expect(rule(p.check(t))).toBe('ok');
    }
  });
});

describe('outside_session / wrong_trading_day / clock_skew', () => {
  const check1 = (t: MarketTick): string => rule(createCleansingPipeline().check(t));
  it('rejects ticks stamped in breaks, before the open or after the grace', () => {
    expect(check1(tick(RB, { datetime: at('20260316', '12:00:00') }))).toBe('outside_session');
    expect(check1(tick(RB, { datetime: at('20260316', '10:20:00') }))).toBe('outside_session');
    expect(check1(tick(RB, { datetime: at('20260316', '08:58:30') }))).toBe('outside_session');
    expect(check1(tick(RB, { datetime: at('20260316', '15:00:06') }))).toBe('outside_session');
    expect(check1(tick(IF, { last_price: 4000, datetime: at('20260316', '10:20:00') }))).toBe('ok');
    expect(check1(tick(IF, { last_price: 4000, datetime: at('20260316', '09:28:00') }))).toBe('outside_session');
  });
  it('passes auction results, snapshots at a segment end and the first seconds after it', () => {
    expect(check1(tick(RB, { datetime: at('20260316', '08:59:00', 500) }))).toBe('ok');
    expect(check1(tick(RB, { datetime: at('20260313', '20:59:31') }))).toBe('ok'); // Friday night auction → Monday
    expect(check1(tick(IF, { last_price: 4000, datetime: at('20260316', '09:29:07') }))).toBe('ok');
    expect(check1(tick(ETF_OPT, { last_price: 0.1, limit_up: 0.3, limit_down: 0.0001, high_price: 0.1, low_price: 0.1, bid_price_1: 0.0999, ask_price_1: 0.1, datetime: at('20260316', '09:25:00') }))).toBe('ok');
    expect(check1(tick(RB, { datetime: at('20260316', '11:30:00') }))).toBe('ok');
    expect(check1(tick(RB, { datetime: at('20260316', '15:00:00') }))).toBe('ok');
    expect(check1(tick(RB, { datetime: at('20260316', '15:00:03') }))).toBe('ok');
    expect(check1(tick(RB, { datetime: at('20260313', '23:00:00') }))).toBe('ok');
  });
  it('passes a night session crossing midnight (belongs to the next trading day)', () => {
    const p = createCleansingPipeline();
    let t = tick(CU, { last_price: 80_000, datetime: at('20260313', '23:59:58'), high_price: 80_200, low_price: 79_800, bid_price_1: 79_990, ask_price_1: 80_000 });
    expect(rule(p.check(t))).toBe('ok');
    for (let i = 0; i < 20; i++) {
      t = next(CU, t, t.last_price + ((i % 3) - 1) * CU.tick, 1);
      expect(rule(p.check(t))).toBe('ok');
    }
    expect(t.datetime).toBeGreaterThan(at('20260314', '00:00:00'));
    expect(rule(p.check(next(CU, t, t.last_price, 1, at('20260314', '01:00:00') - t.datetime)))).toBe('ok');
    expect(rule(createCleansingPipeline().check(tick(RB, { datetime: at('20260314', '00:30:00') })))).toBe('outside_session'); // rb ends 23:00
  });
  it('rejects a wrong trading day (the calendar date at night, or yesterday)', () => {
    expect(check1(tick(RB, { datetime: at('20260313', '21:30:00'), trading_day: '20260313' }))).toBe('wrong_trading_day');
    expect(check1(tick(RB, { datetime: at('20260313', '21:30:00'), trading_day: '20260316' }))).toBe('ok');
    expect(check1(tick(RB, { trading_day: '20260313' }))).toBe('wrong_trading_day');
    expect(check1(tick(RB, { trading_day: '' }))).toBe('wrong_trading_day');
  });
  it('rejects exchange time far from the hub clock, but passes a late settlement snapshot stamped at the close', () => {
    const t = tick(RB);
    expect(check1({ ...t, localtime: t.datetime + 61_000 })).toBe('clock_skew');
    expect(check1({ ...t, localtime: t.datetime - 11_000 })).toBe('clock_skew');
    expect(check1({ ...t, localtime: t.datetime + 30_000 })).toBe('ok');
    const close = tick(RB, { datetime: at('20260316', '15:00:00'), settlement: 3502 });
    expect(check1({ ...close, localtime: close.datetime + 20 * 60_000 })).toBe('ok');
  });
});

describe('stale_replay', () => {
  it('rejects an old market state replayed while the instrument ticks', () => {
    const p = createCleansingPipeline({ config: { disable: ['volume_decrease', 'turnover_decrease'] } });
    const first = tick(RB);
    const t = warm(p, RB, 40, first);
    expect(rule(p.check({ ...first, localtime: t.localtime + 500 }))).toBe('stale_replay');
    expect(rule(p.check(next(RB, t)))).toBe('ok');
  });
  it('passes a lagging source whose ticks are older than another source\'s watermark', () => {
    const p = createCleansingPipeline();
    const first = tick(RB);
    warm(p, RB, 40, first, 'fast');
    // the slow source is 10 s behind: its own watermark is what counts
    let s = first;
    expect(rule(p.check({ ...s, localtime: s.datetime + 10_000 }, 'slow'))).toBe('ok');
    s = next(RB, s, s.last_price, 1);
    expect(rule(p.check({ ...s, localtime: s.datetime + 10_000 }, 'slow'))).toBe('ok');
  });
});
