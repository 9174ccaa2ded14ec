import { Decoder, Encoder } from '@msgpack/msgpack';
import { ProtocolError } from './errors.js';
import type { Exchange, MarketTick } from './tick.js';
import { EXCHANGES, FLOAT_FIELDS, LINK_FIELDS } from './tick.js';

/**
 * Gateway → core link framing. One ZeroMQ message carries everything a gateway had ready in one
 * event-loop turn: `[BATCH_TAG, run_id, gateway_id, batch_seq, sent_ns, ticks]`, where each tick is a
 * positional array in LINK_FIELDS order and sent_ns is the gateway's monotonic clock (CLOCK_MONOTONIC,
 * shared by every process of the machine, `process.hrtime.bigint()`) in nanoseconds as a float, read when
 * the batch's first tick was handed to the link: the gateway-receive stamp of every tick of the batch.
 */
export const BATCH_TAG = 'mdb1';

export interface BatchHeader {
  runId: string;
  gatewayId: string;
  batchSeq: number;
  sentNs: number;
}

export interface DecodedBatch extends BatchHeader {
  ticks: MarketTick[];
  /** Ticks of the batch that were malformed, with why; the rest of the batch is kept. */
  bad: Array<{ index: number; reason: string }>;
}

const encoder = new Encoder();
const decoder = new Decoder();

export function tickToLink(t: MarketTick): unknown[] {
  const row = new Array<unknown>(LINK_FIELDS.length);
  for (let i = 0; i < LINK_FIELDS.length; i++) row[i] = t[LINK_FIELDS[i]!];
  return row;
}

export function encodeBatch(h: BatchHeader, ticks: readonly MarketTick[]): Uint8Array {
  const rows = new Array<unknown[]>(ticks.length);
  for (let i = 0; i < ticks.length; i++) rows[i] = tickToLink(ticks[i]!);
  return encoder.encode([BATCH_TAG, h.runId, h.gatewayId, h.batchSeq, h.sentNs, rows]);
}

const N_FLOATS = FLOAT_FIELDS.length;
const FIRST_FLOAT = 5;

function linkToTick(row: unknown): MarketTick | string {
  if (!Array.isArray(row) || row.length !== LINK_FIELDS.length) return 'not a positional tick of the right length';
  const [symbol, exchange, datetime, tradingDay, name] = row as [unknown, unknown, unknown, unknown, unknown];
  if (typeof symbol !== 'string' || symbol.length === 0) return 'symbol';
  if (typeof exchange !== 'string' || !EXCHANGES.includes(exchange as Exchange)) return 'exchange';
  if (typeof datetime !== 'number' || !Number.isFinite(datetime)) return 'datetime';
  if (typeof tradingDay !== 'string') return 'trading_day';
  if (typeof name !== 'string') return 'name';
  const t = { symbol, exchange, datetime, trading_day: tradingDay, name } as MarketTick;
  for (let i = 0; i < N_FLOATS; i++) {
    const v = row[FIRST_FLOAT + i];
    // Non-finite numbers pass through: rejecting them (and counting them) is cleansing's job.
    if (typeof v !== 'number') return FLOAT_FIELDS[i]!;
    t[FLOAT_FIELDS[i]!] = v;
  }
  const localtime = row[FIRST_FLOAT + N_FLOATS];
  const gw = row[FIRST_FLOAT + N_FLOATS + 1];
  if (typeof localtime !== 'number') return 'localtime';
  if (typeof gw !== 'string') return 'gateway_name';
  t.localtime = localtime;
  t.gateway_name = gw;
  return t;
}

/** Decodes a link message. Throws MDH_ERR_WIRE_BAD_BATCH when the frame itself is wrong. */
export function decodeBatch(msg: Uint8Array): DecodedBatch {
  let arr: unknown;
  try {
    arr = decoder.decode(msg);
  } catch (err) {
    throw new ProtocolError('MDH_ERR_WIRE_BAD_BATCH', { reason: 'not msgpack', bytes: msg.length }, err);
  }
  if (!Array.isArray(arr) || arr.length !== 6 || arr[0] !== BATCH_TAG) {
    throw new ProtocolError('MDH_ERR_WIRE_BAD_BATCH', { reason: 'bad frame' });
  }
  const [, runId, gatewayId, batchSeq, sentNs, rows] = arr as [unknown, unknown, unknown, unknown, unknown, unknown];
  if (typeof runId !== 'string' || typeof gatewayId !== 'string' || typeof batchSeq !== 'number' ||
      typeof sentNs !== 'number' || !Array.isArray(rows)) {
    throw new ProtocolError('MDH_ERR_WIRE_BAD_BATCH', { reason: 'bad header' });
  }
  const ticks: MarketTick[] = [];
  const bad: DecodedBatch['bad'] = [];
  for (let i = 0; i < rows.length; i++) {
    const t = linkToTick(rows[i]);
    if (typeof t === 'string') bad.push({ index: i, reason: t });
    else ticks.push(t);
  }
  return { runId, gatewayId, batchSeq, sentNs, ticks, bad };
}
