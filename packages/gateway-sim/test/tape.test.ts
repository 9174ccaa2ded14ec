import { describe, expect, it } from 'vitest';
import { buildUniverse } from '../src/universe.js';
import { Tape } from '../src/tape.js';
import type { TapeSnapshot } from '../src/tape.js';
import { atShanghai, byInstrument, calendar, onGrid, products, shanghaiTime, subset, tapeRun, universe } from './helpers.js';

const u = universe();
const SEED = 11;
// trading day 20260106: its night session is on the evening of 20260105 (a Monday after the New-Year closure)
const nightStart = atShanghai('20260105', '20:50');
const nightRun = tapeRun(u, SEED, nightStart, atShanghai('20260105', '21:05'));
const morningStart = atShanghai('20260106', '08:50');
const morning = tapeRun(u, SEED, morningStart, atShanghai('20260106', '09:36'));
const morningBy = byInstrument(morning);

function sameBook(a: TapeSnapshot, b: TapeSnapshot): boolean {
  const t = a.tick;
  const v = b.tick;
  return t.bid_price_1 === v.bid_price_1 && t.ask_price_1 === v.ask_price_1 && t.bid_volume_1 === v.bid_volume_1 &&
    t.ask_volume_1 === v.ask_volume_1 && t.bid_volume_2 === v.bid_volume_2 && t.ask_volume_2 === v.ask_volume_2;
}

describe('Tape determinism', () => {
  it('same seed, same tape; another seed, another tape', () => {
    const from = atShanghai('20260106', '08:58');
    const a = tapeRun(u, SEED, from, from + 180_000);
    const b = tapeRun(u, SEED, from, from + 180_000);
    expect(a.length).toBeGreaterThan(1000);
    expect(b).toEqual(a);
    const c = tapeRun(u, SEED + 1, from, from + 180_000);
    expect(c.map((s) => s.tick.last_price)).not.toEqual(a.map((s) => s.tick.last_price));
  });

  it('is invariant to how advance() is chunked, and fastForward() keeps the state', () => {
    const end = morningStart + 15 * 60_000;
    const whole = tapeRun(u, SEED, morningStart, end);
    const tape = new Tape(u, { seed: SEED, calendar, startMs: morningStart });
    const pieces: TapeSnapshot[] = [];
    let t = morningStart;
    let k = 0;
    while (t < end) {
      t = Math.min(end, t + [1, 7, 499, 500, 501, 13_001, 0, 2][k++ % 8]!);
      pieces.push(...tape.advance(t));
      expect(tape.advance(t - 1)).toEqual([]); // going back returns nothing
    }
    expect(pieces).toEqual(whole);
    const mid = morningStart + 7 * 60_000 + 123;
    const ff = new Tape(u, { seed: SEED, calendar, startMs: morningStart });
    const skipped = ff.fastForward(mid);
    const tail = ff.advance(end);
    expect(skipped).toBe(whole.filter((s) => s.emitMs <= mid).length);
    expect(tail).toEqual(whole.filter((s) => s.emitMs > mid));
  });

  it('returns snapshots in emission order, ties by instrument index, with emitMs in (prev, to]', () => {
    let bad = 0;
    for (let i = 1; i < morning.length; i++) {
      const a = morning[i - 1]!;
      const b = morning[i]!;
      if (!(a.emitMs < b.emitMs || (a.emitMs === b.emitMs && a.index < b.index))) bad++;
    }
    expect(bad).toBe(0);
    expect(morning[0]!.emitMs).toBeGreaterThan(morningStart);
    const wrong = morning.filter((s) => s.tick.symbol !== u[s.index]!.symbol || s.emitMs < s.tick.datetime ||
      s.emitMs - s.tick.datetime >= 1000 || s.tick.gateway_name !== '' || s.tick.localtime !== 0);
    expect(wrong).toEqual([]);
  });
});

describe('Tape market rules', () => {
  it('keeps prices on the tick grid and within the limits; books and OHLC consistent', () => {
    const bad: string[] = [];
    const fail = (t: { symbol: string; datetime: number }, what: string): void => {
      if (bad.length < 20) bad.push(`${t.symbol} ${shanghaiTime(t.datetime)} ${what}`);
    };
    for (const { tick: t, index } of [...morning, ...nightRun]) {
      const inst = u[index]!;
      const tick = inst.product.price_tick;
      const prices = [t.last_price, t.open_price, t.high_price, t.low_price, t.limit_up, t.limit_down, t.pre_close, t.pre_settlement,
        t.bid_price_1, t.bid_price_2, t.bid_price_3, t.bid_price_4, t.bid_price_5, t.ask_price_1, t.ask_price_2, t.ask_price_3, t.ask_price_4, t.ask_price_5];
      for (const p of prices) {
        if (!onGrid(p, tick)) fail(t, `off grid ${p}`);
        if (p !== 0 && (p < t.limit_down || p > t.limit_up)) fail(t, `outside limits ${p}`);
      }
      if (t.bid_price_1 > 0 && t.ask_price_1 > 0 && !(t.bid_price_1 < t.ask_price_1)) fail(t, 'crossed');
      const bids = [t.bid_price_1, t.bid_price_2, t.bid_price_3, t.bid_price_4, t.bid_price_5].filter((p) => p > 0);
      const asks = [t.ask_price_1, t.ask_price_2, t.ask_price_3, t.ask_price_4, t.ask_price_5].filter((p) => p > 0);
      for (let k = 1; k < bids.length; k++) if (!(bids[k]! < bids[k - 1]!)) fail(t, 'bid levels');
      for (let k = 1; k < asks.length; k++) if (!(asks[k]! > asks[k - 1]!)) fail(t, 'ask levels');
      if ((t.bid_price_1 === 0) !== (t.bid_volume_1 === 0) || (t.ask_price_1 === 0) !== (t.ask_volume_1 === 0)) fail(t, 'empty side');
      if (t.volume > 0) {
        if (!(t.low_price > 0 && t.low_price <= t.last_price && t.last_price <= t.high_price)) fail(t, 'low/last/high');
        if (!(t.low_price <= t.open_price && t.open_price <= t.high_price)) fail(t, 'open');
        const vwap = t.exchange === 'CZCE' ? t.average_price : t.average_price / inst.product.multiplier;
        if (vwap < t.low_price - tick - 1e-9 || vwap > t.high_price + tick + 1e-9) fail(t, `vwap ${vwap}`);
        if (t.exchange === 'CZCE' ? !onGrid(t.average_price, tick) : Math.abs(t.average_price - t.turnover / t.volume) > 1e-6) fail(t, 'average_price');
      } else if (t.open_price !== 0 || t.average_price !== 0 || t.high_price !== 0) {
        fail(t, 'no trade yet but open/avg set');
      }
    }
    expect(bad).toEqual([]);
    expect(morning.length).toBeGreaterThan(100_000);
  });

  it('accumulates volume / turnover / open interest monotonically; turnover += dVol × price × multiplier', () => {
    const bad: string[] = [];
    let trades = 0;
    for (const [index, list] of morningBy) {
      const inst = u[index]!;
      for (let k = 1; k < list.length; k++) {
        const a = list[k - 1]!.tick;
        const b = list[k]!.tick;
        const ok = b.trading_day === a.trading_day && b.volume >= a.volume && b.turnover >= a.turnover &&
          Math.abs(b.open_interest - a.open_interest) <= b.volume - a.volume && b.last_volume === b.volume - a.volume &&
          Math.abs(b.turnover - a.turnover - (b.volume - a.volume) * b.last_price * inst.product.multiplier) < 1e-3 * Math.max(1, b.turnover) * 1e-9 + 1e-3;
        if (b.volume > a.volume) trades++;
        if (!ok && bad.length < 10) bad.push(`${b.symbol} ${shanghaiTime(b.datetime)}`);
      }
    }
    expect(bad).toEqual([]);
    expect(trades).toBeGreaterThan(10_000);
  });

  it('produces book-only snapshots (same volume, new book)', () => {
    let bookOnly = 0;
    let same = 0;
    for (const [, list] of morningBy) {
      for (let k = 1; k < list.length; k++) {
        if (list[k]!.tick.volume === list[k - 1]!.tick.volume) {
          bookOnly++;
          if (sameBook(list[k]!, list[k - 1]!)) same++;
        }
      }
    }
    expect(same).toBe(0);
    expect(bookOnly).toBeGreaterThan(1000);
  });

  it('emits only inside trading segments or in the auction matching minute of the trading day', () => {
    const bad: string[] = [];
    const cache = new Map<string, { segs: { start: number; end: number }[]; aucs: { matchStart: number }[] }>();
    for (const { tick: t, index } of [...morning, ...nightRun]) {
      const tmpl = u[index]!.product.session;
      const key = `${tmpl}|${t.trading_day}`;
      let c = cache.get(key);
      if (!c) cache.set(key, (c = { segs: calendar.segments(tmpl, t.trading_day), aucs: calendar.auctions(tmpl, t.trading_day).filter((a) => a.phase !== 'close') }));
      const inSeg = c.segs.some((s) => s.start <= t.datetime && t.datetime <= s.end);
      const inAuc = c.aucs.some((a) => a.matchStart <= t.datetime && t.datetime < a.matchStart + 60_000);
      if (!inSeg && !inAuc && bad.length < 10) bad.push(`${t.symbol} ${shanghaiTime(t.datetime)} ${t.trading_day}`);
    }
    expect(bad).toEqual([]);
  });

  it('stamps CZCE in whole seconds with two different snapshots sharing one datetime', () => {
    const czce = morning.filter((s) => s.tick.exchange === 'CZCE');
    expect(czce.length).toBeGreaterThan(100);
    expect(czce.filter((s) => s.tick.datetime % 1000 !== 0)).toEqual([]);
    let pairs = 0;
    for (const [, list] of byInstrument(czce)) {
      for (let k = 1; k < list.length; k++) {
        const a = list[k - 1]!;
        const b = list[k]!;
        if (a.tick.datetime === b.tick.datetime) {
          pairs++;
          expect(b.emitMs).toBeGreaterThan(a.emitMs);
          expect(sameBook(a, b) && a.tick.volume === b.tick.volume && a.tick.last_price === b.tick.last_price).toBe(false);
        }
      }
    }
    expect(pairs).toBeGreaterThan(100);
  });

  it('stamps DCE with any millisecond, SHFE/INE/CFFEX/GFEX/SSE/SZSE with .000/.500', () => {
    const dceMs = new Set(morning.filter((s) => s.tick.exchange === 'DCE').map((s) => s.tick.datetime % 1000));
    expect(dceMs.size).toBeGreaterThan(200);
    expect([...dceMs].some((m) => m % 500 !== 0 && m % 100 !== 0)).toBe(true);
    expect(morning.filter((s) => s.tick.exchange !== 'DCE' && s.tick.exchange !== 'CZCE' && s.tick.datetime % 500 !== 0)).toEqual([]);
  });

  it('emits one auction-result snapshot inside the matching minute: 20:59, 08:59, 09:29 CFFEX, 09:25:00.000 ETF', () => {
    const nightBy = byInstrument(nightRun);
    const check = (snaps: TapeSnapshot[], from: number, to: number, pick: (i: (typeof u)[number]) => boolean, label: string) => {
      const want = u.filter(pick);
      expect(want.length, label).toBeGreaterThan(0);
      const by = snaps === nightRun ? nightBy : morningBy;
      for (const inst of want) {
        const inWin = (by.get(inst.index) ?? []).filter((s) => s.tick.datetime >= from && s.tick.datetime < to);
        expect(inWin.length, `${label} ${inst.symbol}`).toBe(1);
        if (!inst.deepOtm) expect(inWin[0]!.tick.volume, `${label} ${inst.symbol}`).toBeGreaterThan(0);
      }
    };
    const night = (i: (typeof u)[number]) => i.product.session.startsWith('commodity_night');
    check(nightRun, atShanghai('20260105', '20:59'), atShanghai('20260105', '21:00'), night, 'night_open');
    expect(nightRun.filter((s) => s.tick.datetime < atShanghai('20260105', '20:59')).length).toBe(0);
    expect(nightRun.filter((s) => s.tick.trading_day !== '20260106')).toEqual([]);
    check(morning, atShanghai('20260106', '08:59'), atShanghai('20260106', '09:00'), (i) => i.product.session.startsWith('commodity_'), 'day_open');
    expect(morning.filter((s) => s.tick.datetime < atShanghai('20260106', '08:59')).length).toBe(0);
    const cffex = (i: (typeof u)[number]) => i.product.session.startsWith('cffex_');
    check(morning, atShanghai('20260106', '09:29'), atShanghai('20260106', '09:30'), cffex, 'cffex');
    expect(morning.filter((s) => cffex(u[s.index]!) && s.tick.datetime < atShanghai('20260106', '09:29')).length).toBe(0);
    const etf = (i: (typeof u)[number]) => i.product.session === 'etf_option';
    const at925 = atShanghai('20260106', '09:25');
    check(morning, at925, at925 + 1, etf, 'etf');
    expect(morning.filter((s) => etf(u[s.index]!) && s.tick.datetime < atShanghai('20260106', '09:30') && s.tick.datetime !== at925).length).toBe(0);
  });

  it('emits a snapshot stamped exactly at each segment end', () => {
    const ends: Array<[string, string, string, (i: (typeof u)[number]) => boolean]> = [
      ['20260106', '10:10', '10:15', (i) => i.product.session.startsWith('commodity_')],
      ['20260106', '11:25', '11:30', () => true],
      ['20260106', '14:55', '15:00', (i) => i.product.session !== 'cffex_bond'],
      ['20260106', '15:10', '15:15', (i) => i.product.session === 'cffex_bond'],
      ['20260106', '22:55', '23:00', (i) => i.product.session === 'commodity_night_2300'],
    ];
    for (const [day, from, end, pick] of ends) {
      const endMs = atShanghai(day, end);
      const sub = subset(u, pick);
      const by = byInstrument(tapeRun(sub, SEED, atShanghai(day, from), endMs + 10 * 60_000));
      for (const inst of sub) {
        const list = by.get(inst.index) ?? [];
        const at = list.filter((s) => s.tick.datetime === endMs);
        expect(at.length, `${inst.symbol} ${end}`).toBe(1);
        expect(at[0]!.emitMs).toBe(endMs);
        expect(list.some((s) => s.tick.datetime > endMs && s.tick.trading_day === at[0]!.tick.trading_day)).toBe(false);
      }
    }
  });

  it('resets volume at the new trading day; the night belongs to the next trading day', () => {
    const from = atShanghai('20260106', '14:59');
    const snaps = tapeRun(u, SEED, from, atShanghai('20260106', '21:01'));
    const by = byInstrument(snaps);
    const night = u.filter((i) => i.product.session.startsWith('commodity_night') && !i.deepOtm);
    let checked = 0;
    for (const inst of night) {
      const list = by.get(inst.index) ?? [];
      const close = list.filter((s) => s.tick.trading_day === '20260106').at(-1)!;
      const next = list.filter((s) => s.tick.trading_day === '20260107');
      expect(close.tick.datetime).toBe(atShanghai('20260106', '15:00'));
      expect(next.length).toBeGreaterThan(0);
      const first = next[0]!.tick;
      expect(first.datetime).toBeGreaterThanOrEqual(atShanghai('20260106', '20:59'));
      expect(first.volume).toBeLessThan(close.tick.volume);
      expect(first.pre_close).toBe(close.tick.last_price);
      expect(first.pre_open_interest).toBe(close.tick.open_interest);
      if (close.tick.volume > 200) checked++;
    }
    expect(checked).toBeGreaterThan(10);
    // day-only products have nothing in the evening
    const evening = snaps.filter((s) => s.tick.datetime > atShanghai('20260106', '15:16'));
    expect(evening.length).toBeGreaterThan(1000);
    expect(evening.filter((s) => !u[s.index]!.product.session.startsWith('commodity_night'))).toEqual([]);
  });

  it("dates Friday's night session to Monday", () => {
    const small = universe(3, 40);
    const snaps = tapeRun(small, 1, atShanghai('20260109', '20:58'), atShanghai('20260109', '21:02'));
    expect(snaps.length).toBeGreaterThan(0);
    for (const s of snaps) expect(s.tick.trading_day).toBe('20260112');
  });

  it('has limit-locked stretches with the opposite side empty, and the board opening again', () => {
    const sub = subset(u, (i) => i.limitLocked !== null);
    const by = byInstrument(tapeRun(sub, SEED, morningStart, atShanghai('20260106', '11:30')));
    for (const side of ['up', 'down'] as const) {
      const inst = sub.find((i) => i.limitLocked === side && i.product.session.startsWith('commodity'))!;
      const list = (by.get(inst.index) ?? []).map((s) => s.tick);
      const locked = list.map((t) => (side === 'up'
        ? t.last_price === t.limit_up && t.bid_price_1 === t.limit_up && t.ask_price_1 === 0 && t.ask_volume_1 === 0 && t.ask_price_5 === 0
        : t.last_price === t.limit_down && t.ask_price_1 === t.limit_down && t.bid_price_1 === 0 && t.bid_volume_1 === 0 && t.bid_price_5 === 0));
      let best = 0;
      let cur = 0;
      for (const l of locked) best = Math.max(best, (cur = l ? cur + 1 : 0));
      expect(best, `${inst.symbol} ${side}`).toBeGreaterThanOrEqual(200);
      expect(locked.some((l) => !l), 'board opens at times').toBe(true);
    }
  });

  it('prices deep OTM options at one tick with an empty bid side', () => {
    const otm = u.filter((i) => i.deepOtm);
    let n = 0;
    for (const s of morning) {
      const inst = u[s.index]!;
      if (!inst.deepOtm) continue;
      n++;
      expect(s.tick.last_price).toBe(inst.product.price_tick);
      expect(s.tick.ask_price_1).toBe(inst.product.price_tick);
      expect(s.tick.bid_price_1).toBe(0);
    }
    expect(otm.length).toBeGreaterThan(5);
    expect(n).toBeGreaterThan(otm.length);
  });

  it('gives illiquid contracts gaps of at least 30 s (about one snapshot a minute)', () => {
    const liquidShfe = u.find((i) => i.liquidity === 'liquid' && i.exchange === 'SHFE')!;
    const sub = subset(u, (i) => (i.liquidity === 'illiquid' && i.product.session.startsWith('commodity')) || i === liquidShfe);
    const by = byInstrument(tapeRun(sub, SEED, atShanghai('20260106', '09:00'), atShanghai('20260106', '10:14')));
    const ill = sub.filter((i) => i.liquidity === 'illiquid');
    expect(ill.length).toBeGreaterThan(5);
    let gaps = 0;
    let total = 0;
    for (const inst of ill) {
      const list = by.get(inst.index) ?? [];
      expect(list.length).toBeGreaterThan(20);
      expect(list.length).toBeLessThan(150);
      for (let k = 1; k < list.length; k++) {
        const g = list[k]!.emitMs - list[k - 1]!.emitMs;
        expect(g).toBeGreaterThanOrEqual(30_000);
        gaps++;
        total += g;
      }
    }
    expect(total / gaps).toBeGreaterThan(45_000);
    expect(total / gaps).toBeLessThan(75_000);
    const liquid = by.get(sub.findIndex((i) => i.symbol === liquidShfe.symbol)) ?? [];
    expect(liquid.length).toBeGreaterThan(73 * 60 * 2 - 10);
  });

  it('gives an instrument the same ticks on a tape over a subset of the universe', () => {
    const sub = subset(u, (i) => i.exchange === 'CZCE' || i.exchange === 'SSE');
    const part = tapeRun(sub, SEED, morningStart, morningStart + 12 * 60_000);
    const full = morning.filter((s) => s.emitMs <= morningStart + 12 * 60_000 && (s.tick.exchange === 'CZCE' || s.tick.exchange === 'SSE'));
    expect(part.length).toBeGreaterThan(1000);
    expect(part.map((s) => s.tick)).toEqual(full.map((s) => s.tick));
  });

  it('starts warm inside a session (volume so far, open set) and emits nothing before startMs', () => {
    const start = atShanghai('20260106', '10:00') + 250;
    const snaps = tapeRun(u, SEED, start, start + 5_000);
    expect(snaps.every((s) => s.emitMs > start)).toBe(true);
    const futs = snaps.filter((s) => u[s.index]!.kind === 'future' && u[s.index]!.liquidity === 'liquid');
    expect(futs.length).toBeGreaterThan(50);
    for (const s of futs) {
      expect(s.tick.volume).toBeGreaterThan(0);
      expect(s.tick.open_price).toBeGreaterThan(0);
    }
  });
});

describe('Tape performance', () => {
  it('catches up an hour of a 240-instrument tape in well under a second', () => {
    const small = universe(5, 240);
    const start = atShanghai('20260106', '08:58');
    const tape = new Tape(small, { seed: 1, calendar, startMs: start });
    const t0 = performance.now();
    const n = tape.fastForward(start + 3_600_000);
    const ms = performance.now() - t0;
    console.log(`fastForward: ${n} snapshots (1 h, 240 instruments) in ${ms.toFixed(0)} ms = ${(n / ms / 1000).toFixed(2)} M instrument-steps/s`);
    expect(n).toBeGreaterThan(300_000);
    expect(ms).toBeLessThan(1500);
  });

  it('ticks 5000 instruments at 500 ms cadence far faster than real time', () => {
    const big = buildUniverse({ seed: 1, tradingDay: '20260106', products, instruments: 5000, liquidity: 'liquid' });
    const start = atShanghai('20260106', '09:35');
    const tape = new Tape(big, { seed: 1, calendar, startMs: start });
    const t0 = performance.now();
    let n = 0;
    for (let t = start + 500; t <= start + 20_000; t += 500) n += tape.advance(t).length;
    const ms = performance.now() - t0;
    console.log(`advance: ${n} ticks (20 s, 5000 liquid instruments) in ${ms.toFixed(0)} ms = ${(n / ms / 1000).toFixed(2)} M ticks/s`);
    expect(n).toBeGreaterThanOrEqual(5000 * 39);
    expect(ms).toBeLessThan(20_000 / 2);
  });
});
