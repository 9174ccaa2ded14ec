import { Decoder, Encoder } from '@msgpack/msgpack';
import { ProtocolError } from './errors.js';
import type { MarketTick } from './tick.js';
import { EXCHANGES, FLOAT_FIELDS } from './tick.js';

/**
 * Gateway → core link framing ("mdb2"), internal to one machine (never the public wire). One ZeroMQ
 * message carries everything a gateway had ready in one event-loop turn:
 *
 *   bytes 0..3   magic `mdb2`
 *   bytes 4..7   H = length of the header (uint32 LE)
 *   H bytes      msgpack `[run_id, gateway_id, batch_seq, sent_ns, n, strings[]]`
 *   pad to a multiple of 8 from the start of the message
 *   n × 37 float64 LE   per tick: datetime, localtime, then FLOAT_FIELDS in order
 *   n × 5 uint16 LE     per tick: indexes into strings[] of symbol, exchange, trading_day, name, gateway_name
 *
 * Strings repeat across a batch (exchange, trading day, gateway, instruments), so each is sent and decoded
 * once per batch. sent_ns is the gateway's monotonic clock (CLOCK_MONOTONIC, shared by every process of
 * the machine, `process.hrtime.bigint()`) in nanoseconds, read when the batch's first tick was handed to
 * the link: the gateway-receive stamp of every tick of the batch.
 */
export const BATCH_TAG = 'mdb2';
const MAGIC = Buffer.from(BATCH_TAG, 'latin1');
const NUMS = 2 + FLOAT_FIELDS.length;
const STRS = 5;
/** Most distinct strings one batch can carry (uint16 indexes); the encoder splits larger batches. */
const MAX_STRINGS = 65535;
const headerEncoder = new Encoder();
const headerDecoder = new Decoder();

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

type NumWriter = (t: MarketTick, dv: DataView, off: number) => void;
type TickBuilder = (dv: DataView, off: number, symbol: string, exchange: string, tradingDay: string, name: string, gw: string) => MarketTick;

/** Generated from FLOAT_FIELDS: named property loads, fixed offsets. */
const writeNums: NumWriter = new Function('t', 'dv', 'o', [
  'dv.setFloat64(o, +t.datetime, true);',
  'dv.setFloat64(o + 8, +t.localtime, true);',
  ...FLOAT_FIELDS.map((f, i) => `dv.setFloat64(o + ${(i + 2) * 8}, +t.${f}, true);`),
].join('\n')) as NumWriter;

/**
 * Generated from FLOAT_FIELDS: every tick is one object literal with every field (hub metadata included,
 * zeroed), so all ticks share one hidden class and stay in V8's fast-properties mode.
 */
const buildTick: TickBuilder = new Function('dv', 'o', 'symbol', 'exchange', 'trading_day', 'name', 'gateway_name', [
  'return { symbol, exchange, datetime: dv.getFloat64(o, true), trading_day, name,',
  ...FLOAT_FIELDS.map((f, i) => `  ${f}: dv.getFloat64(o + ${(i + 2) * 8}, true),`),
  '  localtime: dv.getFloat64(o + 8, true), gateway_name,',
  "  seq: 0, iseq: 0, source: '', gw_recv_ts: 0, hub_recv_ts: 0, hub_pub_ts: 0, run_id: '' };",
].join('\n')) as TickBuilder;

function encodeOne(h: BatchHeader, ticks: readonly MarketTick[]): Buffer {
  const n = ticks.length;
  const table = new Map<string, number>();
  const strings: string[] = [];
  const idx = new Uint16Array(n * STRS);
  const intern = (s: unknown): number => {
    const v = typeof s === 'string' ? s : '';
    let i = table.get(v);
    if (i === undefined) {
      i = strings.length;
      strings.push(v);
      table.set(v, i);
    }
    return i;
  };
  for (let k = 0; k < n; k++) {
    const t = ticks[k]!;
    const o = k * STRS;
    idx[o] = intern(t.symbol);
    idx[o + 1] = intern(t.exchange);
    idx[o + 2] = intern(t.trading_day);
    idx[o + 3] = intern(t.name);
    idx[o + 4] = intern(t.gateway_name);
  }
  const header = headerEncoder.encode([h.runId, h.gatewayId, h.batchSeq, h.sentNs, n, strings]);
  const numsAt = (8 + header.length + 7) & ~7;
  const idxAt = numsAt + n * NUMS * 8;
  const buf = Buffer.alloc(idxAt + n * STRS * 2);
  MAGIC.copy(buf, 0);
  buf.writeUInt32LE(header.length, 4);
  buf.set(header, 8);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let k = 0; k < n; k++) writeNums(ticks[k]!, dv, numsAt + k * NUMS * 8);
  for (let k = 0; k < n * STRS; k++) dv.setUint16(idxAt + k * 2, idx[k]!, true);
  return buf;
}

/**
 * Encodes one batch. A batch with more distinct strings than uint16 indexes can address is split; the
 * pieces share the header (the decoder accepts a repeated batch_seq).
 */
export function encodeBatch(h: BatchHeader, ticks: readonly MarketTick[]): Buffer {
  if (ticks.length * STRS < MAX_STRINGS) return encodeOne(h, ticks);
  const parts: Buffer[] = [];
  const step = Math.floor(MAX_STRINGS / STRS) - 1;
  for (let i = 0; i < ticks.length; i += step) parts.push(encodeOne(h, ticks.slice(i, i + step)));
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

function bad(reason: string, details: Record<string, unknown> = {}): ProtocolError {
  return new ProtocolError('MDH_ERR_WIRE_BAD_BATCH', { reason, ...details });
}

function decodeOne(msg: Uint8Array, start: number, out: DecodedBatch | null): { batch: DecodedBatch; end: number } {
  if (msg.length < start + 8) throw bad('short frame');
  for (let i = 0; i < 4; i++) if (msg[start + i] !== MAGIC[i]) throw bad('not an mdb2 frame');
  const dv = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const hlen = dv.getUint32(start + 4, true);
  if (start + 8 + hlen > msg.length) throw bad('header overruns the frame');
  let header: unknown;
  try {
    header = headerDecoder.decode(msg.subarray(start + 8, start + 8 + hlen));
  } catch (err) {
    throw new ProtocolError('MDH_ERR_WIRE_BAD_BATCH', { reason: 'header is not msgpack' }, err);
  }
  if (!Array.isArray(header) || header.length !== 6) throw bad('bad header');
  const [runId, gatewayId, batchSeq, sentNs, n, strings] = header as [unknown, unknown, unknown, unknown, unknown, unknown];
  if (typeof runId !== 'string' || typeof gatewayId !== 'string' || typeof batchSeq !== 'number' || typeof sentNs !== 'number' ||
      typeof n !== 'number' || !Number.isInteger(n) || n < 0 || !Array.isArray(strings) || strings.some((s) => typeof s !== 'string')) {
    throw bad('bad header');
  }
  const numsAt = start + ((8 + hlen + 7) & ~7);
  const idxAt = numsAt + n * NUMS * 8;
  const end = idxAt + n * STRS * 2;
  if (end > msg.length) throw bad('body overruns the frame', { n });
  const batch: DecodedBatch = out ?? { runId, gatewayId, batchSeq, sentNs, ticks: [], bad: [] };
  const strs = strings as string[];
  const exchangeOk = strs.map((s) => (EXCHANGES as readonly string[]).includes(s));
  const base = batch.ticks.length + batch.bad.length;
  for (let k = 0; k < n; k++) {
    const o = idxAt + k * STRS * 2;
    const iSym = dv.getUint16(o, true);
    const iEx = dv.getUint16(o + 2, true);
    const iTd = dv.getUint16(o + 4, true);
    const iName = dv.getUint16(o + 6, true);
    const iGw = dv.getUint16(o + 8, true);
    if (iSym >= strs.length || iEx >= strs.length || iTd >= strs.length || iName >= strs.length || iGw >= strs.length) {
      batch.bad.push({ index: base + k, reason: 'string index out of range' });
      continue;
    }
    if (strs[iSym]!.length === 0) { batch.bad.push({ index: base + k, reason: 'symbol' }); continue; }
    if (!exchangeOk[iEx]) { batch.bad.push({ index: base + k, reason: 'exchange' }); continue; }
    const at = numsAt + k * NUMS * 8;
    if (!Number.isFinite(dv.getFloat64(at, true))) { batch.bad.push({ index: base + k, reason: 'datetime' }); continue; }
    // Other non-finite numbers pass through: rejecting (and counting) them is cleansing's job.
    batch.ticks.push(buildTick(dv, at, strs[iSym]!, strs[iEx]!, strs[iTd]!, strs[iName]!, strs[iGw]!));
  }
  return { batch, end };
}

/** Decodes a link message. Throws MDH_ERR_WIRE_BAD_BATCH when the frame itself is wrong. */
export function decodeBatch(msg: Uint8Array): DecodedBatch {
  let { batch, end } = decodeOne(msg, 0, null);
  while (end < msg.length) ({ batch, end } = decodeOne(msg, end, batch));
  return batch;
}
