import type { MarketTick } from './tick.js';
import { STATE_KEY_FIELDS } from './tick.js';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** One step of both lanes on x (shared with the in-place variant in batch.ts). */
export const MIX = 'h1 = Math.imul(h1 ^ x, 2654435761); h2 = Math.imul(h2 ^ x, 1597334677);';
const str = (field: string): string =>
  `s = t.${field}; for (let i = 0; i < s.length; i++) { x = s.charCodeAt(i); ${MIX} } x = 0xffff; ${MIX}`;
const num = (field: string): string => `f64[0] = t.${field}; x = u32[0]; ${MIX} x = u32[1]; ${MIX}`;

/**
 * A 53-bit hash of the exchange-given state of a tick: symbol, exchange, datetime, trading_day and every
 * market number but `last_volume` (STATE_KEY_FIELDS). It ignores localtime, gateway_name, hub metadata and
 * the derived `last_volume`, so two copies of one snapshot from different sources have the same key. Used by the arbiter (several states at one watermark), the
 * client's multi-hub merge and the JetStream message id.
 *
 * Algorithm (so other languages can reproduce it): two 32-bit multiply-xor lanes (cyrb53 style) fed, in
 * order, with the UTF-16 code units of symbol, exchange and trading_day (each followed by 0xffff), then the
 * two 32-bit halves (low, high) of the IEEE-754 double of datetime and of each FLOAT_FIELDS value in wire
 * order except last_volume (STATE_KEY_FIELDS). The function is generated from the field list (named property loads, no per-field calls).
 */
export const STATE_KEY_SEED1 = 0xdeadbeef ^ 0x5eed;
export const STATE_KEY_SEED2 = 0x41c6ce57 ^ 0x5eed;

export const stateKey: (t: MarketTick) => number = new Function('f64', 'u32', `return function stateKey(t) {
  let h1 = ${STATE_KEY_SEED1}, h2 = ${STATE_KEY_SEED2}, x = 0, s = '';
  ${str('symbol')}
  ${str('exchange')}
  ${str('trading_day')}
  ${num('datetime')}
  ${STATE_KEY_FIELDS.map(num).join('\n  ')}
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
};`)(f64, u32) as (t: MarketTick) => number;
