import { describe, expect, it } from 'vitest';
import { EXCHANGES } from '@mdhub/protocol';
import { buildUniverse } from '../src/universe.js';
import { onGrid, products, universe } from './helpers.js';

describe('buildUniverse', () => {
  const u = universe();

  it('has ≥ 240 instruments by default across all 8 exchanges, ids unique', () => {
    expect(u.length).toBeGreaterThanOrEqual(240);
    for (const ex of EXCHANGES) expect(u.filter((i) => i.exchange === ex).length, ex).toBeGreaterThan(0);
    const futEx = new Set(u.filter((i) => i.kind === 'future').map((i) => i.exchange));
    expect([...futEx].sort()).toEqual(['CFFEX', 'CZCE', 'DCE', 'GFEX', 'INE', 'SHFE']);
    expect(new Set(u.map((i) => `${i.symbol}.${i.exchange}`)).size).toBe(u.length);
    u.forEach((i, k) => expect(i.index).toBe(k));
  });

  it('is deterministic in the seed', () => {
    expect(universe(7)).toEqual(u);
    const other = universe(8);
    expect(other.map((i) => i.pre_settlement)).not.toEqual(u.map((i) => i.pre_settlement));
  });

  it('uses real instrument id forms per exchange', () => {
    const rules: Record<string, { fut: RegExp; opt: RegExp }> = {
      SHFE: { fut: /^[a-z]{1,2}\d{4}$/, opt: /^[a-z]{1,2}\d{4}[CP]\d+$/ },
      INE: { fut: /^[a-z]{2}\d{4}$/, opt: /^[a-z]{2}\d{4}[CP]\d+$/ },
      DCE: { fut: /^[a-z]{1,2}\d{4}$/, opt: /^[a-z]{1,2}\d{4}-[CP]-\d+$/ },
      GFEX: { fut: /^[a-z]{2}\d{4}$/, opt: /^[a-z]{2}\d{4}-[CP]-\d+$/ },
      CZCE: { fut: /^[A-Z]{2}\d{3}$/, opt: /^[A-Z]{2}\d{3}[CP]\d+$/ },
      CFFEX: { fut: /^[A-Z]{1,2}\d{4}$/, opt: /^(IO|MO|HO)\d{4}-[CP]-\d+$/ },
      SSE: { fut: /^$/, opt: /^1\d{7}$/ },
      SZSE: { fut: /^$/, opt: /^9\d{7}$/ },
    };
    for (const i of u) {
      const r = rules[i.exchange]!;
      expect(i.symbol, `${i.exchange} ${i.kind}`).toMatch(i.kind === 'future' ? r.fut : r.opt);
    }
    const syms = new Set(u.map((i) => i.symbol));
    expect(syms.has('rb2605')).toBe(true);
    expect(syms.has('SR605')).toBe(true);
    expect([...syms].some((s) => /^IF26\d\d$/.test(s))).toBe(true);
    expect([...syms].some((s) => /^IO26\d\d-C-\d+$/.test(s))).toBe(true);
    expect([...syms].some((s) => /^m26\d\d-[CP]-\d+$/.test(s))).toBe(true);
    expect([...syms].some((s) => /^SR6\d\d[CP]\d+$/.test(s))).toBe(true);
    expect(u.find((i) => i.symbol === 'rb2605')?.name).toBe('螺纹钢2605');
    expect(u.find((i) => i.symbol === 'SR605')?.name).toBe('白糖605');
    expect(u.find((i) => i.exchange === 'SSE')?.name).toMatch(/^.+[购沽]\d{1,2}月\d+$/);
  });

  it('puts reference prices and limits on the tick grid, limits around pre_settlement', () => {
    for (const i of u) {
      const tick = i.product.price_tick;
      for (const p of [i.pre_close, i.pre_settlement, i.limit_up, i.limit_down]) expect(onGrid(p, tick), `${i.symbol} ${p}`).toBe(true);
      expect(i.limit_down).toBeGreaterThanOrEqual(tick);
      expect(i.limit_up).toBeGreaterThan(i.pre_settlement);
      expect(i.limit_down).toBeLessThanOrEqual(i.pre_settlement);
      expect(i.pre_close).toBeGreaterThanOrEqual(i.limit_down);
      expect(i.pre_close).toBeLessThanOrEqual(i.limit_up);
      if (i.kind === 'future' && i.product.limit_pct !== null) {
        const pct = i.product.limit_pct / 100;
        expect(i.limit_up).toBeLessThanOrEqual(i.pre_settlement * (1 + pct) + 1e-9);
        expect(i.limit_up).toBeGreaterThan(i.pre_settlement * (1 + pct) - tick - 1e-9);
        expect(i.limit_down).toBeGreaterThanOrEqual(i.pre_settlement * (1 - pct) - 1e-9);
      }
    }
  });

  it('applies the ETF option limit formula (down-limit at least one tick)', () => {
    const etf = u.filter((i) => i.exchange === 'SSE' || i.exchange === 'SZSE');
    expect(etf.length).toBeGreaterThan(20);
    for (const i of etf) {
      const U = i.option!.underlyingPrice;
      const K = i.option!.strike;
      const upAmt = i.option!.type === 'C' ? Math.max(U * 0.005, Math.min(2 * U - K, U) * 0.1) : Math.max(K * 0.005, Math.min(2 * K - U, U) * 0.1);
      expect(Math.abs(i.limit_up - (i.pre_settlement + upAmt))).toBeLessThanOrEqual(0.0001 + 1e-9);
      expect(i.limit_down).toBe(Math.max(0.0001, Number((i.pre_settlement - U * 0.1).toFixed(4))));
    }
  });

  it('has the traits: limit-locked up and down, deep OTM at one tick, a new listing', () => {
    expect(u.some((i) => i.limitLocked === 'up')).toBe(true);
    expect(u.some((i) => i.limitLocked === 'down')).toBe(true);
    const otm = u.filter((i) => i.deepOtm);
    expect(otm.some((i) => i.exchange === 'SSE')).toBe(true);
    expect(otm.some((i) => i.exchange === 'SZSE')).toBe(true);
    for (const i of otm) expect(i.pre_settlement).toBe(i.product.price_tick);
    const fresh = u.filter((i) => i.newListing);
    expect(fresh.length).toBeGreaterThan(0);
    for (const i of fresh) {
      expect(i.pre_close).toBe(i.pre_settlement);
      expect(i.pre_open_interest).toBe(0);
    }
  });

  it('stamps per exchange quirk: DCE any millisecond, CZCE whole seconds, others .000/.500', () => {
    for (const i of u) {
      if (i.exchange === 'DCE') expect(i.stamp).toBe('any');
      else if (i.exchange === 'CZCE') expect(i.stamp).toBe('second');
      else {
        expect(i.stamp).toBe('half');
        expect(i.phaseMs).toBe(0);
      }
    }
    expect(new Set(u.filter((i) => i.exchange === 'DCE').map((i) => i.phaseMs)).size).toBeGreaterThan(10);
    expect(new Set(u.map((i) => i.liquidity))).toEqual(new Set(['liquid', 'normal', 'illiquid']));
  });

  it('scales to 5000 instruments (more months and strikes) and down to a few', () => {
    const big = buildUniverse({ seed: 1, tradingDay: '2026-01-06', products, instruments: 5000 });
    expect(big.length).toBe(5000);
    expect(new Set(big.map((i) => `${i.symbol}.${i.exchange}`)).size).toBe(5000);
    expect(new Set(big.map((i) => i.exchange)).size).toBe(8);
    const small = buildUniverse({ seed: 1, tradingDay: '20260106', products, instruments: 8 });
    expect(new Set(small.map((i) => i.exchange)).size).toBe(8);
    const storm = buildUniverse({ seed: 1, tradingDay: '20260106', products, instruments: 50, liquidity: 'liquid' });
    expect(storm.every((i) => i.liquidity === 'liquid')).toBe(true);
  });
});
