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

const FIXED_INT_FIELDS: readonly IntField[] = ['datetime', 'localtime', 'seq', 'iseq', 'gw_recv_ts', 'hub_recv_ts', 'hub_pub_ts'];
const WIRE_STR_FIELDS: readonly StrField[] = ['symbol', 'exchange', 'trading_day', 'name', 'gateway_name', 'source', 'run_id'];

/** Every field a published tick carries, in wire order: floats, then integers, then strings. */
export const TICK_WIRE_FIELDS: readonly (keyof Tick)[] = [...FLOAT_FIELDS, ...FIXED_INT_FIELDS, ...WIRE_STR_FIELDS];

function keyBytes(k: string): number[] {
  const b = Buffer.from(k, 'utf8');
  return [0xa0 | b.length, ...b];
}

/**
 * The fixed part of every tick map: map16 header, then each float and integer key followed by its type
 * byte and 8 value bytes. Values sit at fixed offsets, so encoding copies this template and writes the
 * numbers in place; the strings follow.
 */
const TEMPLATE: Buffer = (() => {
  const bytes: number[] = [0xde, TICK_WIRE_FIELDS.length >> 8, TICK_WIRE_FIELDS.length & 0xff];
  for (const f of FLOAT_FIELDS) bytes.push(...keyBytes(f), 0xcb, 0, 0, 0, 0, 0, 0, 0, 0);
  for (const f of FIXED_INT_FIELDS) bytes.push(...keyBytes(f), 0xcf, 0, 0, 0, 0, 0, 0, 0, 0);
  return Buffer.from(bytes);
})();

/** Offsets of the value bytes in TEMPLATE, per field, in template order. */
const OFFSETS: number[] = (() => {
  const out: number[] = [];
  let pos = 3;
  for (const f of [...FLOAT_FIELDS, ...FIXED_INT_FIELDS]) {
    pos += keyBytes(f).length + 1;
    out.push(pos);
    pos += 8;
  }
  return out;
})();
const STR_KEYS: Buffer[] = WIRE_STR_FIELDS.map((f) => Buffer.from(keyBytes(f)));

type Writer = (t: Tick, dv: DataView, b: number) => void;

/**
 * Generated from the field lists: writes every number at its fixed offset with named property loads.
 * Market numbers are float64; integers are uint64 (negative or unsafe values are written as 0).
 */
const writeNumbers: Writer = new Function('t', 'dv', 'b', [
  ...FLOAT_FIELDS.map((f, i) => `dv.setFloat64(b + ${OFFSETS[i]}, +t.${f});`),
  'let n = 0;',
  ...FIXED_INT_FIELDS.map((f, j) => {
    const off = OFFSETS[FLOAT_FIELDS.length + j]!;
    return `n = t.${f}; if (!(n >= 0 && n <= 9007199254740991)) n = 0; else n = Math.floor(n); dv.setUint32(b + ${off}, Math.floor(n / 4294967296)); dv.setUint32(b + ${off + 4}, n >>> 0);`;
  }),
].join('\n')) as Writer;

const UNSET = Symbol('unset');

/**
 * Per-instrument memo for {@link TickEncoder.encode}: the last string value of each string field and its
 * encoding, so a caller that keeps one per instrument skips the encoder's string cache lookups.
 */
export class TickEncodeMemo {
  /** Starts as a value no field has, so the first encode fills every slot (undefined fields included). */
  readonly values: unknown[] = new Array<unknown>(STR_KEYS.length).fill(UNSET);
  readonly encoded: Uint8Array[] = new Array<Uint8Array>(STR_KEYS.length);
}

/**
 * Bytes of one encoder slab (about 25 ticks). A queued message keeps its whole slab alive (zeromq.js
 * sends payloads over 128 bytes without copying), so a slow subscriber of a few instruments pins up to
 * this much per message in its PUB queue: 16 KB, against 8 KB with Node's pool.
 */
const SLAB_BYTES = 16 * 1024;

/**
 * Fixed-schema msgpack encoder for published ticks. Writes a map with every field of TICK_WIRE_FIELDS:
 * market numbers always as float64, integers as uint64, strings as str. The output decodes with any
 * msgpack library (tested with @msgpack/msgpack and Python's msgpack). `encode` returns a Buffer the
 * caller owns: a view of the encoder's current slab (never written again), so a tick costs no ArrayBuffer
 * of its own (Node's pool makes one per ~13 ticks, and each is GC and external-memory work).
 */
export class TickEncoder {
  /** key + msgpack str of recurring string values (symbols, names, sources, run id), per field. */
  private readonly strCache: Array<Map<string, Uint8Array>> = STR_KEYS.map(() => new Map());
  private readonly parts: Uint8Array[] = new Array<Uint8Array>(STR_KEYS.length);
  private slab = new ArrayBuffer(0);
  private slabBytes = new Uint8Array(this.slab);
  private slabView = new DataView(this.slab);
  private slabPos = 0;

  /** Encodes into a Buffer of exactly the payload's size (no scratch copy). `memo`: see {@link TickEncodeMemo}. */
  encode(t: Tick, memo?: TickEncodeMemo): Buffer {
    const size = this.prepare(t, memo);
    const base = this.take(size);
    this.write(t, this.slabBytes, this.slabView, base);
    return Buffer.from(this.slab, base, size);
  }

  /**
   * A copy of an encoded tick in this encoder's own slabs (16 KB each). The hub's per-tick topic sends this
   * rather than a view of a 256 KB batch slab: a message queued for a slow subscriber of a few instruments
   * then holds a small slab, not a large one (zeromq.js sends payloads over 128 bytes without copying).
   */
  copy(payload: Uint8Array): Buffer {
    const base = this.take(payload.length);
    this.slabBytes.set(payload, base);
    return Buffer.from(this.slab, base, payload.length);
  }

  /** Where `size` bytes go in the current slab (a new one when they do not fit); 8-byte aligned starts. */
  private take(size: number): number {
    if (this.slabPos + size > this.slab.byteLength) {
      this.slab = new ArrayBuffer(Math.max(SLAB_BYTES, size));
      this.slabBytes = new Uint8Array(this.slab);
      this.slabView = new DataView(this.slab);
      this.slabPos = 0;
    }
    const base = this.slabPos;
    // the slab is never rewritten, so earlier views stay valid while held
    this.slabPos = (base + size + 7) & ~7;
    return base;
  }

  /**
   * Encodes into `bytes` (with `view` over the same memory) at `pos`, for a caller that owns the buffer
   * (the hub's batch stream writes each tick once, where its batch message will be sent from). Returns
   * where the tick ends, or -1 (nothing written) when it does not fit before `bytes.length`.
   */
  encodeAt(t: Tick, memo: TickEncodeMemo | undefined, bytes: Uint8Array, view: DataView, pos: number): number {
    const size = this.prepare(t, memo);
    if (pos + size > bytes.length) return -1;
    return this.write(t, bytes, view, pos);
  }

  /** Picks the string fields' encodings into `parts`; returns the payload's size. */
  private prepare(t: Tick, memo: TickEncodeMemo | undefined): number {
    const parts = this.parts;
    if (memo) {
      const v = memo.values;
      const e = memo.encoded;
      if (v[0] !== t.symbol) { v[0] = t.symbol; e[0] = this.str(0, t.symbol); }
      if (v[1] !== t.exchange) { v[1] = t.exchange; e[1] = this.str(1, t.exchange); }
      if (v[2] !== t.trading_day) { v[2] = t.trading_day; e[2] = this.str(2, t.trading_day); }
      if (v[3] !== t.name) { v[3] = t.name; e[3] = this.str(3, t.name); }
      if (v[4] !== t.gateway_name) { v[4] = t.gateway_name; e[4] = this.str(4, t.gateway_name); }
      if (v[5] !== t.source) { v[5] = t.source; e[5] = this.str(5, t.source); }
      if (v[6] !== t.run_id) { v[6] = t.run_id; e[6] = this.str(6, t.run_id); }
      for (let i = 0; i < parts.length; i++) parts[i] = e[i]!;
    } else {
      parts[0] = this.str(0, t.symbol);
      parts[1] = this.str(1, t.exchange);
      parts[2] = this.str(2, t.trading_day);
      parts[3] = this.str(3, t.name);
      parts[4] = this.str(4, t.gateway_name);
      parts[5] = this.str(5, t.source);
      parts[6] = this.str(6, t.run_id);
    }
    let size = TEMPLATE.length;
    for (let i = 0; i < parts.length; i++) size += parts[i]!.length;
    return size;
  }

  /** Writes the template, the numbers and the prepared strings at `base`; returns the end. */
  private write(t: Tick, bytes: Uint8Array, view: DataView, base: number): number {
    const parts = this.parts;
    bytes.set(TEMPLATE, base);
    writeNumbers(t, view, base);
    let pos = base + TEMPLATE.length;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      bytes.set(p, pos);
      pos += p.length;
    }
    return pos;
  }

  /** Field i's key and string value, encoded once per distinct value. */
  private str(i: number, v: unknown): Uint8Array {
    const s = typeof v === 'string' ? v : '';
    const cache = this.strCache[i]!;
    let enc = cache.get(s);
    if (enc === undefined) {
      const tmp = Buffer.allocUnsafe(STR_KEYS[i]!.length + s.length * 3 + 3);
      STR_KEYS[i]!.copy(tmp, 0);
      enc = Uint8Array.prototype.slice.call(tmp, 0, writeStr(tmp, STR_KEYS[i]!.length, s));
      if (cache.size >= 200_000) cache.clear();
      cache.set(s, enc);
    }
    return enc;
  }
}

/** Writes a msgpack str at pos (fixstr, str8 or str16 by UTF-8 length); returns the new position. */
function writeStr(b: Buffer, pos: number, s: string): number {
  const max = s.length * 3;
  if (max < 32) {
    const len = b.write(s, pos + 1, 'utf8');
    b[pos] = 0xa0 | len;
    return pos + 1 + len;
  }
  if (max < 0x100) {
    b[pos] = 0xd9;
    const len = b.write(s, pos + 2, 'utf8');
    b[pos + 1] = len;
    return pos + 2 + len;
  }
  b[pos] = 0xda;
  const len = b.write(s, pos + 3, 'utf8');
  b.writeUInt16BE(len, pos + 1);
  return pos + 3 + len;
}

/**
 * The template's fixed bytes (keys, type bytes) as checks: 4-byte words where all four bytes are fixed,
 * single bytes elsewhere. Every one must match for the fast path.
 */
const [CHECK32_AT, CHECK32, CHECK8_AT, CHECK8] = ((): [Int32Array, Uint32Array, Int32Array, Uint8Array] => {
  const fixed = new Uint8Array(TEMPLATE.length).fill(1);
  for (const off of OFFSETS) fixed.fill(0, off, off + 8);
  const w: number[] = [];
  const wv: number[] = [];
  const b: number[] = [];
  const bv: number[] = [];
  for (let i = 0; i < TEMPLATE.length;) {
    if (i + 4 <= TEMPLATE.length && fixed[i] && fixed[i + 1] && fixed[i + 2] && fixed[i + 3]) {
      w.push(i);
      wv.push(TEMPLATE.readUInt32BE(i));
      i += 4;
    } else {
      if (fixed[i]) { b.push(i); bv.push(TEMPLATE[i]!); }
      i++;
    }
  }
  return [Int32Array.from(w), Uint32Array.from(wv), Int32Array.from(b), Uint8Array.from(bv)];
})();
const STR_KEY_BYTES: Uint8Array[] = STR_KEYS.map((k) => new Uint8Array(k));

/** Generated: whether the template's fixed bytes (keys, type bytes) are at `o` of `b`, as straight-line compares. */
const templateAt = new Function('dv', 'b', 'o', [
  'return (',
  [...CHECK32_AT].map((at, i) => `dv.getUint32(o + ${at}) === ${CHECK32[i]}`).concat([...CHECK8_AT].map((at, i) => `b[o + ${at}] === ${CHECK8[i]}`)).join(' &&\n  '),
  ');',
].join('\n')) as (dv: DataView, b: Uint8Array, o: number) => boolean;

type NumReader = (dv: DataView, o: number, strs: string[]) => Tick;

/** Generated: one object literal per tick (fast properties), values read at the template's offsets from `o`. */
const readTick: NumReader = new Function('dv', 'o', 's', [
  'return {',
  ...WIRE_STR_FIELDS.map((f, i) => `  ${f}: s[${i}],`),
  ...FLOAT_FIELDS.map((f, i) => `  ${f}: dv.getFloat64(o + ${OFFSETS[i]}),`),
  ...FIXED_INT_FIELDS.map((f, j) => {
    const off = OFFSETS[FLOAT_FIELDS.length + j]!;
    return `  ${f}: dv.getUint32(o + ${off}) * 4294967296 + dv.getUint32(o + ${off + 4}),`;
  }),
  '};',
].join('\n')) as NumReader;

/**
 * Decoded strings by their bytes: the strings of a tick stream repeat (run id, sources, exchanges,
 * trading day, every instrument's symbol and name), so each is decoded once and every tick of an
 * instrument carries the same string objects. Keyed by a hash of the bytes, verified byte for byte;
 * bounded (cleared when full).
 */
interface CachedStr {
  bytes: Uint8Array;
  /** A view of `bytes`, for compares four bytes at a time. */
  view: DataView;
  str: string;
}
const STR_CACHE_MAX = 100_000;
const strCache = new Map<number, CachedStr>();

/** Whether `len` bytes of `b` at `at` equal `c` (of length `len`), four at a time. */
function sameBytes(dv: DataView, at: number, c: CachedStr, len: number): boolean {
  const cb = c.bytes;
  const cv = c.view;
  let i = 0;
  for (; i + 4 <= len; i += 4) if (dv.getUint32(at + i) !== cv.getUint32(i)) return false;
  for (; i < len; i++) if (dv.getUint8(at + i) !== cb[i]) return false;
  return true;
}

function cachedStr(b: Uint8Array, dv: DataView, at: number, len: number): CachedStr {
  let h = len | 0;
  let i = at;
  for (const end4 = at + len - 3; i < end4; i += 4) h = Math.imul(h ^ dv.getUint32(i), 16777619);
  for (const end = at + len; i < end; i++) h = Math.imul(h ^ b[i]!, 16777619);
  const hit = strCache.get(h);
  if (hit !== undefined && hit.bytes.length === len && sameBytes(dv, at, hit, len)) return hit;
  let ascii = true;
  for (let j = at; j < at + len; j++) {
    if (b[j]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  const str = Buffer.from(b.buffer, b.byteOffset + at, len).toString(ascii ? 'latin1' : 'utf8');
  if (strCache.size >= STR_CACHE_MAX) strCache.clear();
  const bytes: Uint8Array = Uint8Array.prototype.slice.call(b, at, at + len);
  const entry: CachedStr = { bytes, view: new DataView(bytes.buffer, bytes.byteOffset, len), str };
  strCache.set(h, entry);
  return entry;
}

/**
 * Per string field, the value of the tick decoded before: run id, source, gateway, exchange and trading
 * day repeat from tick to tick (a compare of the bytes, no hash); symbol and name fall through to the cache.
 */
const lastOfField: Array<CachedStr | null> = [...WIRE_STR_FIELDS, 'batch run_id'].map(() => null);
/** The strings of the tick being read (copied into its object: reused). */
const strsScratch: string[] = WIRE_STR_FIELDS.map(() => '');

/** Reads a msgpack str at pos of `b` (viewed by `dv`) into strs[k]; returns the next position, or -1 when it is not a str. */
function readStr(b: Uint8Array, dv: DataView, pos: number, strs: string[], k: number, slot = k): number {
  const h = b[pos];
  let len: number;
  let at: number;
  if (h === undefined) return -1;
  if ((h & 0xe0) === 0xa0) { len = h & 0x1f; at = pos + 1; }
  else if (h === 0xd9) { len = b[pos + 1] ?? 0; at = pos + 2; }
  else if (h === 0xda) { len = ((b[pos + 1] ?? 0) << 8) | (b[pos + 2] ?? 0); at = pos + 3; }
  else return -1;
  if (at + len > b.length) return -1;
  if (len > 64) {
    strs[k] = Buffer.from(b.buffer, b.byteOffset + at, len).toString('utf8');
    return at + len;
  }
  const last = lastOfField[slot];
  if (last !== undefined && last !== null && last.bytes.length === len && sameBytes(dv, at, last, len)) {
    strs[k] = last.str;
  } else {
    const c = cachedStr(b, dv, at, len);
    lastOfField[slot] = c;
    strs[k] = c.str;
  }
  return at + len;
}

/**
 * Fast path for payloads in TickEncoder's exact layout: the fixed bytes must match the template and the
 * strings follow in order. Returns null for any other (valid or invalid) msgpack, which then takes the
 * generic path.
 */
function decodeTemplated(b: Uint8Array): Tick | null {
  const out: TemplatedRead = { tick: null, end: 0 };
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return decodeTemplatedAt(b, dv, 0, out) && out.end === b.length ? out.tick : null;
}

interface TemplatedRead {
  tick: Tick | null;
  end: number;
}

/** The fast path at `start` of `b` (viewed by `dv`): fills `out` and returns true, or false when the layout differs. */
function decodeTemplatedAt(b: Uint8Array, dv: DataView, start: number, out: TemplatedRead): boolean {
  if (b.length - start < TEMPLATE.length) return false;
  if (!templateAt(dv, b, start)) return false;
  const strs = strsScratch;
  let pos = start + TEMPLATE.length;
  for (let k = 0; k < STR_KEY_BYTES.length; k++) {
    const key = STR_KEY_BYTES[k]!;
    if (pos + key.length > b.length) return false;
    for (let i = 0; i < key.length; i++) if (b[pos + i] !== key[i]) return false;
    pos = readStr(b, dv, pos + key.length, strs, k);
    if (pos < 0) return false;
  }
  out.tick = readTick(dv, start, strs);
  out.end = pos;
  return true;
}

/**
 * Decodes and validates one published tick payload. Payloads in the hub's own layout take a fast path
 * (fixed offsets, one object literal); anything else is decoded as generic msgpack and validated.
 * Throws ProtocolError MDH_ERR_WIRE_BAD_MESSAGE when the bytes are not msgpack, MDH_ERR_WIRE_BAD_TICK
 * when a field is missing or of the wrong type.
 */
export function decodeTick(payload: Uint8Array): Tick {
  const fast = decodeTemplated(payload);
  if (fast !== null) return fast;
  let obj: unknown;
  try {
    obj = decode(payload);
  } catch (err) {
    throw new ProtocolError('MDH_ERR_WIRE_BAD_MESSAGE', { bytes: payload.length }, err);
  }
  return checkTick(obj);
}

/** Validates a generically decoded tick map (any encoder's layout); throws MDH_ERR_WIRE_BAD_TICK. */
function checkTick(obj: unknown): Tick {
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

/**
 * Wire v1.1 batch stream (topic `batch.<EXCHANGE>.`): the ticks of one exchange the hub published while
 * handling one gateway message, as one message. Each tick is the same v1 map as on its per-tick topic.
 */
export interface TickBatch {
  run_id: string;
  /** `seq` of the first and the last tick in the batch (for diagnostics: the range also holds other exchanges' ticks). */
  first_seq: number;
  last_seq: number;
  ticks: Tick[];
}

/** Most ticks and bytes (about) in one batch message. */
export const TICK_BATCH_MAX_TICKS = 256;
export const TICK_BATCH_MAX_BYTES = 64 * 1024;

const BATCH_HEAD_KEYS = ['run_id', 'first_seq', 'last_seq'] as const;
const BATCH_KEY_BYTES = [...BATCH_HEAD_KEYS, 'ticks'].map((k) => Uint8Array.from(encode(k)));

/** Bytes a batch message's head can take at most for `runId` (see {@link writeTickBatchHead}). */
export function tickBatchHeadMax(runId: string): number {
  let keys = 0;
  for (const k of BATCH_KEY_BYTES) keys += k.length;
  return 1 + keys + runId.length * 3 + 3 + 9 + 9 + 5;
}

/**
 * Writes a batch message's head, everything before its ticks' bytes (`{run_id, first_seq, last_seq,
 * ticks: <array32 header>`), at the start of `out`; returns its length. `out` holds tickBatchHeadMax(runId)
 * bytes or more. The ticks follow it as they are: the hub writes them where the message is sent from.
 */
export function writeTickBatchHead(out: Buffer, runId: string, firstSeq: number, lastSeq: number, count: number): number {
  out[0] = 0x84; // four entries
  let pos = 1;
  out.set(BATCH_KEY_BYTES[0]!, pos);
  pos = writeStr(out, pos + BATCH_KEY_BYTES[0]!.length, runId);
  out.set(BATCH_KEY_BYTES[1]!, pos);
  pos = writeUint(out, pos + BATCH_KEY_BYTES[1]!.length, firstSeq);
  out.set(BATCH_KEY_BYTES[2]!, pos);
  pos = writeUint(out, pos + BATCH_KEY_BYTES[2]!.length, lastSeq);
  out.set(BATCH_KEY_BYTES[3]!, pos);
  pos += BATCH_KEY_BYTES[3]!.length;
  out[pos] = 0xdd;
  out.writeUInt32BE(count, pos + 1);
  return pos + 5;
}

/** Writes a msgpack unsigned integer in its shortest form; returns the new position. */
function writeUint(b: Buffer, pos: number, n: number): number {
  if (!(n >= 0 && n <= Number.MAX_SAFE_INTEGER)) throw new RangeError(`not a msgpack unsigned integer: ${n}`);
  if (n <= 0x7f) {
    b[pos] = n;
    return pos + 1;
  }
  if (n <= 0xff) {
    b[pos] = 0xcc;
    b[pos + 1] = n;
    return pos + 2;
  }
  if (n <= 0xffff) {
    b[pos] = 0xcd;
    b.writeUInt16BE(n, pos + 1);
    return pos + 3;
  }
  if (n <= 0xffffffff) {
    b[pos] = 0xce;
    b.writeUInt32BE(n, pos + 1);
    return pos + 5;
  }
  b[pos] = 0xcf;
  b.writeUInt32BE(Math.floor(n / 4294967296), pos + 1);
  b.writeUInt32BE(n >>> 0, pos + 5);
  return pos + 9;
}

/**
 * Encodes a batch message from already-encoded tick maps (copied as they are):
 * `{run_id, first_seq, last_seq, ticks: [...]}` with the array as array32.
 */
export function encodeTickBatch(runId: string, firstSeq: number, lastSeq: number, ticks: readonly Uint8Array[]): Buffer {
  let size = tickBatchHeadMax(runId);
  for (const t of ticks) size += t.length;
  const out = Buffer.allocUnsafe(size);
  let pos = writeTickBatchHead(out, runId, firstSeq, lastSeq, ticks.length);
  for (const t of ticks) {
    out.set(t, pos);
    pos += t.length;
  }
  return out.subarray(0, pos);
}

/** Reads a msgpack unsigned integer at pos: [value, next] or null. */
function readUint(b: Uint8Array, dv: DataView, pos: number): [number, number] | null {
  const h = b[pos];
  if (h === undefined) return null;
  if (h <= 0x7f) return [h, pos + 1];
  if (h === 0xcc && pos + 2 <= b.length) return [b[pos + 1]!, pos + 2];
  if (h === 0xcd && pos + 3 <= b.length) return [dv.getUint16(pos + 1), pos + 3];
  if (h === 0xce && pos + 5 <= b.length) return [dv.getUint32(pos + 1), pos + 5];
  if (h === 0xcf && pos + 9 <= b.length) return [dv.getUint32(pos + 1) * 4294967296 + dv.getUint32(pos + 5), pos + 9];
  return null;
}

function keyAt(b: Uint8Array, pos: number, key: Uint8Array): boolean {
  if (pos + key.length > b.length) return false;
  for (let i = 0; i < key.length; i++) if (b[pos + i] !== key[i]) return false;
  return true;
}

/** The hub's own batch layout, read without a generic decoder: null when the bytes differ from it. */
function decodeTickBatchFast(b: Uint8Array): TickBatch | null {
  if (b[0] !== 0x84) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let pos = 1;
  if (!keyAt(b, pos, BATCH_KEY_BYTES[0]!)) return null;
  const strs: string[] = [''];
  pos = readStr(b, dv, pos + BATCH_KEY_BYTES[0]!.length, strs, 0, WIRE_STR_FIELDS.length);
  if (pos < 0 || !keyAt(b, pos, BATCH_KEY_BYTES[1]!)) return null;
  const first = readUint(b, dv, pos + BATCH_KEY_BYTES[1]!.length);
  if (first === null || !keyAt(b, first[1], BATCH_KEY_BYTES[2]!)) return null;
  const last = readUint(b, dv, first[1] + BATCH_KEY_BYTES[2]!.length);
  if (last === null || !keyAt(b, last[1], BATCH_KEY_BYTES[3]!)) return null;
  pos = last[1] + BATCH_KEY_BYTES[3]!.length;
  if (b[pos] !== 0xdd || pos + 5 > b.length) return null;
  const n = dv.getUint32(pos + 1);
  pos += 5;
  const ticks = new Array<Tick>(n);
  const read: TemplatedRead = { tick: null, end: 0 };
  for (let i = 0; i < n; i++) {
    if (!decodeTemplatedAt(b, dv, pos, read)) return null;
    ticks[i] = read.tick!;
    pos = read.end;
  }
  if (pos !== b.length) return null;
  return { run_id: strs[0]!, first_seq: first[0], last_seq: last[0], ticks };
}

/**
 * Decodes and validates a batch message (topic `batch.<EXCHANGE>.`). The hub's layout takes a fast path;
 * any other valid msgpack is decoded generically. Throws MDH_ERR_WIRE_BAD_MESSAGE (not msgpack, not a
 * batch map) or MDH_ERR_WIRE_BAD_TICK (a tick in it is malformed).
 */
export function decodeTickBatch(payload: Uint8Array): TickBatch {
  const fast = decodeTickBatchFast(payload);
  if (fast !== null) return fast;
  const m = decodeEvent<Record<string, unknown>>(payload);
  if (typeof m['run_id'] !== 'string' || !Number.isInteger(m['first_seq']) || !Number.isInteger(m['last_seq']) || !Array.isArray(m['ticks'])) {
    throw new ProtocolError('MDH_ERR_WIRE_BAD_MESSAGE', { reason: 'not a batch: run_id, first_seq, last_seq and ticks expected' });
  }
  return { run_id: m['run_id'], first_seq: m['first_seq'] as number, last_seq: m['last_seq'] as number, ticks: (m['ticks'] as unknown[]).map(checkTick) };
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
  /** When this hub run started, epoch ms (hub wall clock): a client that connected late still learns it. */
  started_at: number;
  /** `starting` (sources not yet up), `running`, `degraded` (/healthz degraded or down), `stopping`. */
  state: HubState;
  /** Additive v1 features this hub serves: `batch` (the batch stream, topic `batch.<EXCHANGE>.`). */
  features: string[];
}

/** The hub's state as its heartbeat carries it. */
export type HubState = 'starting' | 'running' | 'degraded' | 'stopping';

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

/**
 * Encodes a map whose numbers are all market numbers (reference data): every number as a float64, as
 * vn.py declares them, whole or not (a plain encode would write 10 as an int and 0.5 as a float).
 */
export function encodeFloatMap(m: Record<string, unknown>): Buffer {
  const u = encode(m, { forceIntegerToFloat: true });
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
