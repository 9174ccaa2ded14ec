/**
 * Instrument patterns, one grammar for gateways (what to subscribe), instrument groups (what a group
 * owns) and the CLI:
 *
 *   all, *            every instrument
 *   *.SHFE            every instrument of an exchange
 *   rb*.SHFE          every instrument of one product, by its exact code through the product table
 *                     (`c*.DCE` is corn, never `cs`; `m_o*.DCE` the soybean-meal options; `IO*.CFFEX`)
 *   rb2701.SHFE       one instrument
 *
 * SSE and SZSE option ids (`10008123`) do not name their underlying, so product patterns are refused
 * there: use `*.SSE` or list the instruments.
 */
import type { Exchange } from '@mdhub/protocol';
import { EXCHANGES } from '@mdhub/protocol';
import { MarketError } from './errors.js';
import { findProduct, productOfSymbol } from './products.js';
import type { ProductSpec } from './types.js';

export type InstrumentPattern =
  | { readonly kind: 'all'; readonly text: string }
  | { readonly kind: 'exchange'; readonly text: string; readonly exchange: Exchange }
  | { readonly kind: 'product'; readonly text: string; readonly exchange: Exchange; readonly product: ProductSpec }
  | { readonly kind: 'instrument'; readonly text: string; readonly exchange: Exchange; readonly symbol: string };

const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9_\-.]{0,39}$/;
const PRODUCT = /^[A-Za-z0-9_]{1,12}$/;

function refuse(pattern: string, reason: string): MarketError {
  return new MarketError('MDH_ERR_MARKET_BAD_PATTERN', { pattern, reason });
}

/** Parses one pattern (MDH_ERR_MARKET_BAD_PATTERN with the reason). */
export function parseInstrumentPattern(pattern: string): InstrumentPattern {
  if (typeof pattern !== 'string') throw refuse(String(pattern), 'not a string');
  const text = pattern.trim();
  if (text === 'all' || text === '*' || text === '*.*') return { kind: 'all', text };
  const dot = text.lastIndexOf('.');
  if (dot <= 0 || dot === text.length - 1) throw refuse(text, 'expected all, *.EXCHANGE, PRODUCT*.EXCHANGE or SYMBOL.EXCHANGE');
  const exchange = text.slice(dot + 1) as Exchange;
  if (!EXCHANGES.includes(exchange)) throw refuse(text, `unknown exchange ${exchange} (one of ${EXCHANGES.join(', ')})`);
  const head = text.slice(0, dot);
  if (head === '*') return { kind: 'exchange', text, exchange };
  if (head.endsWith('*')) {
    const code = head.slice(0, -1);
    if (!PRODUCT.test(code)) throw refuse(text, `"${code}" is not a product code`);
    if (exchange === 'SSE' || exchange === 'SZSE') throw refuse(text, `${exchange} option ids do not name their underlying: use *.${exchange} or list the instruments`);
    const product = findProduct(exchange, code) ?? findProduct(exchange, code, 'option');
    if (!product) throw refuse(text, `no product ${code} on ${exchange} in the product table`);
    return { kind: 'product', text, exchange, product };
  }
  if (head.includes('*')) throw refuse(text, 'a wildcard may only end a product code (rb*.SHFE) or stand alone (*.SHFE)');
  if (!SYMBOL.test(head)) throw refuse(text, `"${head}" is not an instrument id`);
  return { kind: 'instrument', text, exchange, symbol: head };
}

/** Parses a list of patterns; the first bad one throws. */
export function parseInstrumentPatterns(patterns: readonly string[]): InstrumentPattern[] {
  return patterns.map(parseInstrumentPattern);
}

/** Whether an instrument matches a parsed pattern. */
export function matchesPattern(p: InstrumentPattern, symbol: string, exchange: string): boolean {
  switch (p.kind) {
    case 'all': return true;
    case 'exchange': return exchange === p.exchange;
    case 'instrument': return exchange === p.exchange && symbol === p.symbol;
    case 'product': return exchange === p.exchange && productOfSymbol(symbol, exchange as Exchange) === p.product;
  }
}

/** Whether an instrument matches any of the patterns. */
export function matchesAny(patterns: readonly InstrumentPattern[], symbol: string, exchange: string): boolean {
  for (const p of patterns) if (matchesPattern(p, symbol, exchange)) return true;
  return false;
}
