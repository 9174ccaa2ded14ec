/**
 * Instrument patterns (one grammar for gateways, groups and the CLI): a product pattern matches by the
 * exact product code through the product table, never by a string prefix.
 */
import { describe, expect, it } from 'vitest';
import { CatalogError } from '@mdhub/protocol';
import { matchesAny, matchesPattern, parseInstrumentPattern } from '../../src/market/index.js';

const m = (p: string, symbol: string, exchange: string): boolean => matchesPattern(parseInstrumentPattern(p), symbol, exchange);
function refused(p: string): string {
  try {
    parseInstrumentPattern(p);
  } catch (err) {
    return err instanceof CatalogError ? `${err.code}: ${String(err.details['reason'])}` : String(err);
  }
  return 'accepted';
}

describe('instrument patterns', () => {
  it('all and * match everything; *.EXCH an exchange; SYMBOL.EXCH one instrument', () => {
    for (const p of ['all', '*']) expect(m(p, 'rb2701', 'SHFE') && m(p, '10008123', 'SSE')).toBe(true);
    expect(m('*.SHFE', 'rb2701', 'SHFE')).toBe(true);
    expect(m('*.SHFE', 'rb2701', 'INE')).toBe(false);
    expect(m('rb2701.SHFE', 'rb2701', 'SHFE')).toBe(true);
    expect(m('rb2701.SHFE', 'rb27010', 'SHFE')).toBe(false);
    expect(m('rb2701.SHFE', 'rb2705', 'SHFE')).toBe(false);
  });

  it('PRODUCT*.EXCH matches the exact product code: c* is corn, never cs; p* is not pp or pg', () => {
    expect(m('c*.DCE', 'c2701', 'DCE')).toBe(true);
    expect(m('c*.DCE', 'cs2701', 'DCE')).toBe(false);
    expect(m('cs*.DCE', 'cs2701', 'DCE')).toBe(true);
    expect(m('p*.DCE', 'p2701', 'DCE')).toBe(true);
    expect(m('p*.DCE', 'pp2701', 'DCE')).toBe(false);
    expect(m('p*.DCE', 'pg2701', 'DCE')).toBe(false);
    expect(m('rb*.SHFE', 'rb2701', 'SHFE')).toBe(true);
    expect(m('rb*.SHFE', 'hc2701', 'SHFE')).toBe(false);
    expect(m('SR*.CZCE', 'SR701', 'CZCE')).toBe(true);
    expect(m('IF*.CFFEX', 'IF2612', 'CFFEX')).toBe(true);
    expect(m('IF*.CFFEX', 'IH2612', 'CFFEX')).toBe(false);
    // futures of a product, or its options by their markets.json key / option product code
    expect(m('m*.DCE', 'm2701', 'DCE')).toBe(true);
    expect(m('m*.DCE', 'm2701-C-3000', 'DCE')).toBe(false);
    expect(m('m_o*.DCE', 'm2701-C-3000', 'DCE')).toBe(true);
    expect(m('IO*.CFFEX', 'IO2612-C-4000', 'CFFEX')).toBe(true);
  });

  it('matchesAny takes a list', () => {
    const ps = ['rb*.SHFE', '*.CZCE'].map(parseInstrumentPattern);
    expect(matchesAny(ps, 'rb2701', 'SHFE')).toBe(true);
    expect(matchesAny(ps, 'SR701', 'CZCE')).toBe(true);
    expect(matchesAny(ps, 'cu2701', 'SHFE')).toBe(false);
  });

  it('refuses bad patterns with MDH_ERR_MARKET_BAD_PATTERN and a reason', () => {
    expect(refused('garbage')).toMatch(/^MDH_ERR_MARKET_BAD_PATTERN: expected/);
    expect(refused('*.NYSE')).toMatch(/unknown exchange NYSE/);
    expect(refused('zz*.SHFE')).toMatch(/no product zz on SHFE/);
    expect(refused('r*b.SHFE')).toMatch(/wildcard/);
    expect(refused('510050*.SSE')).toMatch(/do not name their underlying/);
    expect(refused('rb 2701.SHFE')).toMatch(/not an instrument id/);
    expect(refused('')).toMatch(/MDH_ERR_MARKET_BAD_PATTERN/);
  });
});
