import type { Exchange } from './tick.js';
import { ProtocolError } from './errors.js';
import { EXCHANGES, parseVtSymbol } from './tick.js';

/**
 * Topic scheme (ZeroMQ subscriptions are byte-prefix matches):
 *
 *   tick.<EXCHANGE>.<symbol>.   one instrument; the trailing dot stops `rb2601` matching `rb26010`
 *   tick.<EXCHANGE>.            every instrument of an exchange
 *   tick.                       every tick
 *   batch.<EXCHANGE>.           wire v1.1: an exchange's ticks of one publish turn as one message
 *   batch.                      every exchange's batches
 *   status | log | heartbeat    hub events (exact names; nothing else starts with them)
 */
export const TICK_TOPIC_PREFIX = 'tick.';
export const STATUS_TOPIC = 'status';
export const LOG_TOPIC = 'log';
export const HEARTBEAT_TOPIC = 'heartbeat';
/** Wire v1.1 (announced as heartbeat feature `batch`): the batch stream. */
export const BATCH_TOPIC_PREFIX = 'batch.';
export const BATCH_FEATURE = 'batch';

export function batchTopic(exchange: string): string {
  return `batch.${exchange}.`;
}

export function tickTopic(exchange: string, symbol: string): string {
  return `tick.${exchange}.${symbol}.`;
}

/**
 * Turns a subscription pattern into the ZeroMQ prefix to subscribe:
 * `rb2601.SHFE` (exact), `*.SHFE` (one exchange), `*` (all ticks),
 * or one of `status`, `log`, `heartbeat`.
 */
export function subscriptionPrefix(pattern: string): string {
  if (pattern === '*' || pattern === '*.*') return TICK_TOPIC_PREFIX;
  if (pattern === STATUS_TOPIC || pattern === LOG_TOPIC || pattern === HEARTBEAT_TOPIC) return pattern;
  if (pattern.startsWith('*.')) {
    const ex = pattern.slice(2) as Exchange;
    if (!EXCHANGES.includes(ex)) throw new ProtocolError('MDH_ERR_TOPIC_BAD_PATTERN', { pattern, reason: `unknown exchange in "${pattern}"` });
    return `tick.${ex}.`;
  }
  const vt = parseVtSymbol(pattern);
  if (!vt || vt.symbol.includes('*') || vt.symbol.includes('.')) {
    throw new ProtocolError('MDH_ERR_TOPIC_BAD_PATTERN', { pattern, reason: `"${pattern}"` });
  }
  return tickTopic(vt.exchange, vt.symbol);
}

/** Whether a published topic is delivered to a subscription prefix (ZeroMQ's rule). */
export function topicMatches(prefix: string, topic: string): boolean {
  return topic.startsWith(prefix);
}
