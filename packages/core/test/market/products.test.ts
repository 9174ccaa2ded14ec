import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  MarketError, SESSION_TEMPLATES, findProduct, listProducts, loadMarketData, parseMarketData, productOfSymbol,
} from '../../src/market/index.js';

const dataUrl = new URL('../../data/markets.json', import.meta.url);
const rawJson = (): Record<string, unknown> & { products: Array<Record<string, unknown>> } =>
  JSON.parse(readFileSync(dataUrl, 'utf8')) as Record<string, unknown> & { products: Array<Record<string, unknown>> };

function badDataError(fn: () => unknown): MarketError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(MarketError);
    expect((err as MarketError).code).toBe('MDH_ERR_MARKET_BAD_DATA');
    return err as MarketError;
  }
  throw new Error('expected MDH_ERR_MARKET_BAD_DATA');
}

describe('product table', () => {
  it('loads every product with a multiplier, tick and session', () => {
    const all = listProducts();
    expect(all.length).toBe(rawJson().products.length);
    expect(all.filter((p) => p.kind === 'future').length).toBe(91);
    for (const p of all) {
      expect(p.multiplier, p.key).toBeGreaterThan(0);
      expect(p.price_tick, p.key).toBeGreaterThan(0);
      expect(SESSION_TEMPLATES).toContain(p.session);
    }
  });

  it('finds products by exchange and code', () => {
    expect(findProduct('SHFE', 'rb')).toMatchObject({ kind: 'future', multiplier: 10, price_tick: 1, session: 'commodity_night_2300' });
    expect(findProduct('SHFE', 'au')).toMatchObject({ multiplier: 1000, price_tick: 0.02, session: 'commodity_night_0230' });
    expect(findProduct('CFFEX', 'IF')).toMatchObject({ multiplier: 300, session: 'cffex_index', limit_pct: 10 });
    expect(findProduct('DCE', 'm')?.kind).toBe('future');
    expect(findProduct('DCE', 'm', 'option')).toMatchObject({ key: 'm_o', product: 'm', underlying: 'm', kind: 'option' });
    expect(findProduct('DCE', 'm_o')?.kind).toBe('option');
    expect(findProduct('SSE', '510050')).toMatchObject({ kind: 'option', session: 'etf_option', limit_pct: null });
    expect(findProduct('SHFE', 'zz')).toBeUndefined();
    expect(findProduct('DCE', 'rb')).toBeUndefined();
  });

  it('an option whose tick is null inherits the underlying future tick', () => {
    const pt = findProduct('GFEX', 'pt');
    expect(findProduct('GFEX', 'pt_o')).toMatchObject({ price_tick: pt?.price_tick, kind: 'option' });
    expect(findProduct('GFEX', 'pt_o')?.unconfirmed).toContain('price_tick');
  });

  it('loads from src/ via import.meta.url and from an explicit path', () => {
    expect(loadMarketData().version).toBe(rawJson().version);
    expect(loadMarketData(dataUrl).products.length).toBe(listProducts().length);
    const err = badDataError(() => loadMarketData('/nonexistent/markets.json'));
    expect(err.details.reason).toBe('unreadable');
  });
});

describe('validation', () => {
  const without = (field: string, product = 'rb') => {
    const raw = rawJson();
    const p = raw.products.find((q) => q.product === product);
    if (p) delete p[field];
    return raw;
  };

  it('accepts the shipped file', () => {
    expect(parseMarketData(rawJson()).products.length).toBeGreaterThan(100);
  });

  for (const field of ['multiplier', 'price_tick', 'session']) {
    it(`rejects a product without ${field}`, () => {
      const err = badDataError(() => parseMarketData(without(field)));
      expect(err.details).toMatchObject({ product: 'rb', exchange: 'SHFE', invalid: [field] });
      expect(err.message).toContain('MDH_ERR_MARKET_BAD_DATA');
    });
  }

  it('rejects an unknown session template and a bad holiday date', () => {
    const raw = rawJson();
    raw.products[0] = { ...raw.products[0], session: 'night_forever' };
    expect(badDataError(() => parseMarketData(raw)).details.invalid).toEqual(['session']);
    const raw2 = rawJson();
    raw2.holidays = { 2026: ['2026/01/01'] };
    badDataError(() => parseMarketData(raw2));
    badDataError(() => parseMarketData({ ...rawJson(), sessions: {} }));
  });
});

describe('productOfSymbol', () => {
  const key = (symbol: string, ex: Parameters<typeof productOfSymbol>[1], hint?: string) => productOfSymbol(symbol, ex, hint)?.key;

  it('futures', () => {
    expect(key('rb2605', 'SHFE')).toBe('rb');
    expect(key('sc2606', 'INE')).toBe('sc');
    expect(key('m2605', 'DCE')).toBe('m');
    expect(key('jm2605', 'DCE')).toBe('jm');
    expect(key('lc2605', 'GFEX')).toBe('lc');
    expect(key('SR605', 'CZCE')).toBe('SR');
    expect(key('IF2512', 'CFFEX')).toBe('IF');
    expect(key('T2512', 'CFFEX')).toBe('T');
    expect(key('l_f2609', 'DCE')).toBe('l_f');
    expect(key('PP2602F', 'DCE')).toBe('pp_f');
  });

  it('options', () => {
    expect(key('m2605-C-3000', 'DCE')).toBe('m_o');
    expect(key('SR605C6000', 'CZCE')).toBe('SR_o');
    expect(key('cu2605C80000', 'SHFE')).toBe('cu_o');
    expect(key('sc2606P500', 'INE')).toBe('sc_o');
    expect(key('IO2512-C-4000', 'CFFEX')).toBe('IO');
    expect(key('lc2605-C-80000', 'GFEX')).toBe('lc_o');
    expect(productOfSymbol('m2605-C-3000', 'DCE')?.kind).toBe('option');
  });

  it('ETF options: first product of the exchange unless a hint names the underlying', () => {
    expect(key('10008123', 'SSE')).toBe('510050');
    expect(key('10008123', 'SSE', '510300')).toBe('510300');
    expect(key('90005123', 'SZSE')).toBe('159919');
    expect(key('90005123', 'SZSE', '159915')).toBe('159915');
    expect(key('90005123', 'SSE')).toBeUndefined();
    expect(key('10008123', 'SZSE')).toBeUndefined();
  });

  it('rejects ids in the wrong form for the exchange or of unknown products', () => {
    expect(key('RB2605', 'SHFE')).toBeUndefined();
    expect(key('rb2605', 'CZCE')).toBeUndefined();
    expect(key('sr605', 'CZCE')).toBeUndefined();
    expect(key('if2512', 'CFFEX')).toBeUndefined();
    expect(key('zz2605', 'DCE')).toBeUndefined();
    expect(key('rb', 'SHFE')).toBeUndefined();
    expect(key('wr2605C3000', 'SHFE')).toBeUndefined(); // no wr options in the table
  });
});
