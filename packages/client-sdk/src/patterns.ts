/**
 * Subscription patterns, the same grammar as the hub's (packages/core/src/market/patterns.ts), matched
 * without the hub's product table:
 *
 *   *, all, *.*       every instrument
 *   *.SHFE            every instrument of an exchange
 *   rb*.SHFE          every instrument of one product, by its exact code (`c*.DCE` is corn, never `cs2701`;
 *                     `m*.DCE` the soybean-meal futures, `m_o*.DCE` its options, `IO*.CFFEX` index options)
 *   rb2701.SHFE       one instrument (vn.py's vt_symbol)
 *
 * The product code is read from the instrument id by the exchanges' id rules (markets.json
 * instrument_id_rules): the letters before the delivery month, `_o` added for a commodity option. SSE and
 * SZSE option ids (`10008123`) do not name their underlying, so product patterns are refused there.
 *
 * On the wire: an instrument is its per-tick topic `tick.<EX>.<symbol>.`; a product is the per-tick
 * prefix `tick.<EX>.<letters>` (then filtered by product code) or its exchange's batch topic; an exchange
 * `tick.<EX>.` or `batch.<EX>.`; everything `tick.` or `batch.`.
 */
import type { Exchange } from '@mdhub/protocol';
import { BATCH_TOPIC_PREFIX, EXCHANGES, TICK_TOPIC_PREFIX, batchTopic, parseInstrumentId, tickTopic } from '@mdhub/protocol';
import { ClientError } from './errors.js';

export type Pattern =
  | { readonly kind: 'all'; readonly text: string }
  | { readonly kind: 'exchange'; readonly text: string; readonly exchange: Exchange }
  | { readonly kind: 'product'; readonly text: string; readonly exchange: Exchange; readonly product: string }
  | { readonly kind: 'instrument'; readonly text: string; readonly exchange: Exchange; readonly symbol: string };

const SYMBOL = /^[A-Za-z0-9][A-Za-z0-9_\-.]{0,39}$/;
const PRODUCT = /^[A-Za-z][A-Za-z0-9_]{0,11}$/;

function refuse(pattern: string, reason: string): ClientError {
  return new ClientError('MDH_ERR_CLIENT_BAD_PATTERN', { pattern, reason });
}

/** Parses one pattern; MDH_ERR_CLIENT_BAD_PATTERN says why a bad one is refused. */
export function parsePattern(pattern: string): Pattern {
  if (typeof pattern !== 'string') throw refuse(String(pattern), 'not a string');
  const text = pattern.trim();
  if (text === '*' || text === 'all' || text === '*.*') return { kind: 'all', text };
  const dot = text.lastIndexOf('.');
  if (dot <= 0 || dot === text.length - 1) throw refuse(text, `"${text}": expected SYMBOL.EXCHANGE, PRODUCT*.EXCHANGE, *.EXCHANGE or *`);
  const exchange = text.slice(dot + 1) as Exchange;
  if (!EXCHANGES.includes(exchange)) throw refuse(text, `unknown exchange ${exchange} (one of ${EXCHANGES.join(', ')})`);
  const head = text.slice(0, dot);
  if (head === '*') return { kind: 'exchange', text, exchange };
  if (head.endsWith('*')) {
    const product = head.slice(0, -1);
    if (!PRODUCT.test(product)) throw refuse(text, `"${product}" is not a product code`);
    if (exchange === 'SSE' || exchange === 'SZSE') throw refuse(text, `${exchange} option ids do not name their underlying: use *.${exchange} or list the instruments`);
    return { kind: 'product', text, exchange, product };
  }
  if (head.includes('*')) throw refuse(text, 'a wildcard may only end a product code (rb*.SHFE) or stand alone (*.SHFE, *)');
  if (!SYMBOL.test(head)) throw refuse(text, `"${head}" is not an instrument id`);
  return { kind: 'instrument', text, exchange, symbol: head };
}

/**
 * The product code an instrument id names, by the exchange's id rules (the hub's `productOfSymbol`
 * without the table): `rb2701` → `rb`, `m2701-C-2850` → `m_o`, `SR701C6000` → `SR_o`, `IO2612-C-4000` →
 * `IO`, `l_f2609` / `L2609F` → `l_f`. Null when the id does not fit (and always on SSE/SZSE).
 */
export function productCode(symbol: string, exchange: string): string | null {
  return parseInstrumentId(symbol, exchange)?.code ?? null;
}

/** Whether an instrument matches a pattern. */
export function matchesPattern(p: Pattern, symbol: string, exchange: string): boolean {
  switch (p.kind) {
    case 'all': return true;
    case 'exchange': return exchange === p.exchange;
    case 'instrument': return exchange === p.exchange && symbol === p.symbol;
    case 'product': return exchange === p.exchange && productCode(symbol, exchange) === p.product;
  }
}

export function matchesAny(patterns: readonly Pattern[], symbol: string, exchange: string): boolean {
  for (const p of patterns) if (matchesPattern(p, symbol, exchange)) return true;
  return false;
}

/** A pattern that takes more than one instrument: it may use the batch stream. */
export function isWide(p: Pattern): boolean {
  return p.kind !== 'instrument';
}

/**
 * The ZeroMQ prefixes a pattern needs on one stream: `tick` (per-tick topics) or `batch` (the batch
 * stream; an instrument pattern always stays on its per-tick topic).
 */
export function wirePrefixes(p: Pattern, stream: 'tick' | 'batch'): string[] {
  switch (p.kind) {
    case 'instrument': return [tickTopic(p.exchange, p.symbol)];
    case 'all': return [stream === 'batch' ? BATCH_TOPIC_PREFIX : TICK_TOPIC_PREFIX];
    case 'exchange': return [stream === 'batch' ? batchTopic(p.exchange) : `${TICK_TOPIC_PREFIX}${p.exchange}.`];
    case 'product': {
      if (stream === 'batch') return [batchTopic(p.exchange)];
      // The id starts with the product's letters (`m_o` options start `m`; monthly-average `l_f` is `l_f2609` or `L2609F`).
      const letters = p.product.replace(/_[a-z]$/, '');
      const out = [`${TICK_TOPIC_PREFIX}${p.exchange}.${letters}`];
      if (p.product.endsWith('_f') && letters.toUpperCase() !== letters) out.push(`${TICK_TOPIC_PREFIX}${p.exchange}.${letters.toUpperCase()}`);
      return out;
    }
  }
}

/** vn.py's vt_symbol of a pattern naming one instrument, else null. */
export function patternVt(p: Pattern): string | null {
  return p.kind === 'instrument' ? `${p.symbol}.${p.exchange}` : null;
}
