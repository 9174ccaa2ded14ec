import type { MarketTick } from './tick.js';
import { FLOAT_FIELDS } from './tick.js';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * A 53-bit hash of the exchange-given state of a tick: symbol, exchange, datetime, trading_day and every
 * market number. It ignores localtime, gateway_name and hub metadata, so two copies of one snapshot from
 * different sources have the same key. Used by the arbiter (several states at one watermark), the
 * client's multi-hub merge and the JetStream message id.
 *
 * Algorithm (so other languages can reproduce it): two 32-bit multiply-xor lanes (cyrb53 style) fed, in
 * order, with the UTF-16 code units of symbol, exchange and trading_day, then the two 32-bit halves
 * (low, high) of the IEEE-754 double of datetime and of each FLOAT_FIELDS value in wire order.
 */
export function stateKey(t: MarketTick): number {
  let h1 = 0xdeadbeef ^ 0x5eed;
  let h2 = 0x41c6ce57 ^ 0x5eed;
  const mix = (x: number): void => {
    h1 = Math.imul(h1 ^ x, 2654435761);
    h2 = Math.imul(h2 ^ x, 1597334677);
  };
  const str = (s: string): void => {
    for (let i = 0; i < s.length; i++) mix(s.charCodeAt(i));
    mix(0xffff);
  };
  const num = (n: number): void => {
    f64[0] = n;
    mix(u32[0]!);
    mix(u32[1]!);
  };
  str(t.symbol);
  str(t.exchange);
  str(t.trading_day);
  num(t.datetime);
  for (let i = 0; i < FLOAT_FIELDS.length; i++) num(t[FLOAT_FIELDS[i]!]);
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
