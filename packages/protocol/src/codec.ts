import { decode, encode } from '@msgpack/msgpack';
import { ProtocolError } from './errors.js';
import type { Tick } from './tick.js';
import { FLOAT_FIELDS } from './tick.js';

/** Version of the public wire format; carried in every heartbeat. */
export const WIRE_VERSION = 1;

type StrField = 'symbol' | 'exchange' | 'trading_day' | 'name' | 'gateway_name' | 'source' | 'run_id';
type IntField = 'datetime' | 'localtime' | 'seq' | 'iseq' | 'gw_recv_ts' | 'hub_recv_ts' | 'hub_pub_ts';

const STR_FIELDS: readonly StrField[] = ['symbol', 'exchange', 'trading_day', 'name', 'gateway_name', 'source', 'run_id'];
const INT_FIELDS: readonly IntField[] = ['datetime', 'localtime', 'seq', 'iseq', 'gw_recv_ts', 'hub_recv_ts', 'hub_pub_ts'];

/** Public field order of the tick map. */
const LAYOUT: ReadonlyArray<{ key: keyof Tick; kind: 'str' | 'int' | 'f64' }> = [
  { key: 'symbol', kind: 'str' },
  { key: 'exchange', kind: 'str' },
  { key: 'datetime', kind: 'int' },
  { key: 'trading_day', kind: 'str' },
  { key: 'name', kind: 'str' },
  ...FLOAT_FIELDS.map((key) => ({ key, kind: 'f64' as const })),
  { key: 'localtime', kind: 'int' },
  { key: 'gateway_name', kind: 'str' },
  { key: 'seq', kind: 'int' },
  { key: 'iseq', kind: 'int' },
  { key: 'source', kind: 'str' },
  { key: 'gw_recv_ts', kind: 'int' },
  { key: 'hub_recv_ts', kind: 'int' },
  { key: 'hub_pub_ts', kind: 'int' },
  { key: 'run_id', kind: 'str' },
];

/** Every field a published tick carries. */
export const TICK_WIRE_FIELDS: readonly (keyof Tick)[] = LAYOUT.map((f) => f.key);

const KEY_BYTES: Buffer[] = LAYOUT.map((f) => {
  const s = Buffer.from(f.key, 'utf8');
  return Buffer.concat([Buffer.from([0xa0 | s.length]), s]);
});
const KINDS: Uint8Array = Uint8Array.from(LAYOUT.map((f) => (f.kind === 'str' ? 0 : f.kind === 'int' ? 1 : 2)));

/**
 * Fixed-schema msgpack encoder for published ticks. Writes a map with every field of TICK_WIRE_FIELDS:
 * market numbers always as float64, integers in the smallest msgpack integer form, strings as str.
 * The output decodes with any msgpack library (tested with @msgpack/msgpack and Python's msgpack).
 * One encoder reuses one scratch buffer; `encode` returns a fresh Buffer the caller owns.
 */
export class TickEncoder {
  private buf: Buffer = Buffer.allocUnsafe(4096);
  private pos = 0;

  encode(t: Tick): Buffer {
    this.pos = 0;
    this.ensure(3);
    this.buf[this.pos++] = 0xde;
    this.buf.writeUInt16BE(LAYOUT.length, this.pos);
    this.pos += 2;
    for (let i = 0; i < LAYOUT.length; i++) {
      const kb = KEY_BYTES[i]!;
      this.ensure(kb.length + 9);
      kb.copy(this.buf, this.pos);
      this.pos += kb.length;
      const v = (t as unknown as Record<string, unknown>)[LAYOUT[i]!.key as string];
      const kind = KINDS[i];
      if (kind === 2) {
        this.buf[this.pos++] = 0xcb;
        this.buf.writeDoubleBE(typeof v === 'number' ? v : 0, this.pos);
        this.pos += 8;
      } else if (kind === 1) {
        this.writeInt(typeof v === 'number' ? v : 0);
      } else {
        this.writeStr(typeof v === 'string' ? v : '');
      }
    }
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    return out;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private writeInt(n: number): void {
    const b = this.buf;
    if (!Number.isSafeInteger(n)) n = Math.trunc(n) || 0;
    if (n >= 0) {
      if (n < 128) b[this.pos++] = n;
      else if (n < 0x100) { b[this.pos++] = 0xcc; b[this.pos++] = n; }
      else if (n < 0x10000) { b[this.pos++] = 0xcd; b.writeUInt16BE(n, this.pos); this.pos += 2; }
      else if (n < 0x100000000) { b[this.pos++] = 0xce; b.writeUInt32BE(n, this.pos); this.pos += 4; }
      else {
        b[this.pos++] = 0xcf;
        b.writeUInt32BE(Math.floor(n / 0x100000000), this.pos);
        b.writeUInt32BE(n >>> 0, this.pos + 4);
        this.pos += 8;
      }
    } else if (n >= -32) {
      b[this.pos++] = n & 0xff;
    } else {
      b[this.pos++] = 0xd3;
      b.writeBigInt64BE(BigInt(n), this.pos);
      this.pos += 8;
    }
  }

  private writeStr(s: string): void {
    const max = s.length * 3;
    this.ensure(max + 5);
    const b = this.buf;
    if (max < 32) {
      const start = this.pos++;
      const len = b.write(s, this.pos, 'utf8');
      b[start] = 0xa0 | len;
      this.pos += len;
    } else if (max < 0x100) {
      b[this.pos++] = 0xd9;
      const start = this.pos++;
      const len = b.write(s, this.pos, 'utf8');
      b[start] = len;
      this.pos += len;
    } else {
      b[this.pos++] = 0xda;
      const start = this.pos;
      this.pos += 2;
      const len = b.write(s, this.pos, 'utf8');
      b.writeUInt16BE(len, start);
      this.pos += len;
    }
  }
}

/**
 * Decodes and validates one published tick payload. Throws ProtocolError MDH_ERR_WIRE_BAD_MESSAGE when the
 * bytes are not msgpack, MDH_ERR_WIRE_BAD_TICK when a field is missing or of the wrong type.
 */
export function decodeTick(payload: Uint8Array): Tick {
  let obj: unknown;
  try {
    obj = decode(payload);
  } catch (err) {
    throw new ProtocolError('MDH_ERR_WIRE_BAD_MESSAGE', { bytes: payload.length }, err);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new ProtocolError('MDH_ERR_WIRE_BAD_TICK', { reason: 'not a map' });
  }
  const t = obj as Record<string, unknown>;
  for (const f of STR_FIELDS) {
    if (typeof t[f] !== 'string') throw new ProtocolError('MDH_ERR_WIRE_BAD_TICK', { field: f, expected: 'string' });
  }
  for (const f of INT_FIELDS) {
    if (typeof t[f] !== 'number' || !Number.isInteger(t[f])) throw new ProtocolError('MDH_ERR_WIRE_BAD_TICK', { field: f, expected: 'integer' });
  }
  for (const f of FLOAT_FIELDS) {
    if (typeof t[f] !== 'number') throw new ProtocolError('MDH_ERR_WIRE_BAD_TICK', { field: f, expected: 'number' });
  }
  return t as unknown as Tick;
}

/** Heartbeat, every ≤ 500 ms on topic `heartbeat`: tells a quiet market from a dead hub. */
export interface Heartbeat {
  hub_id: string;
  run_id: string;
  /** The last published tick's seq (0 before the first). */
  seq: number;
  /** Hub wall time, epoch milliseconds. */
  ts: number;
  /** Market clock time, epoch milliseconds (differs from ts when simulated). */
  market_ts: number;
  /** True when the hub runs simulated sources on a shifted market clock. */
  simulated: boolean;
  v: number;
}

/** A status event (topic `status`): source states, failovers, resets, overloads, counters. */
export interface StatusEvent {
  kind: string;
  ts: number;
  hub_id: string;
  run_id: string;
  [detail: string]: unknown;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A log record (topic `log`), the same structure as the hub's JSON log lines. */
export interface LogRecord {
  level: LogLevel;
  ts: number;
  msg: string;
  area: string;
  code?: string;
  details?: Record<string, unknown>;
}

/** Encodes a non-tick message (heartbeat, status, log): generic msgpack. */
export function encodeEvent(ev: Heartbeat | StatusEvent | LogRecord | Record<string, unknown>): Buffer {
  const u = encode(ev);
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** Decodes a non-tick message; throws MDH_ERR_WIRE_BAD_MESSAGE if it is not a msgpack map. */
export function decodeEvent<T = Record<string, unknown>>(payload: Uint8Array): T {
  let obj: unknown;
  try {
    obj = decode(payload);
  } catch (err) {
    throw new ProtocolError('MDH_ERR_WIRE_BAD_MESSAGE', { bytes: payload.length }, err);
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    throw new ProtocolError('MDH_ERR_WIRE_BAD_MESSAGE', { reason: 'not a map' });
  }
  return obj as T;
}
