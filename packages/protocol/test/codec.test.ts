import { decode, encode } from '@msgpack/msgpack';
import { describe, expect, it } from 'vitest';
import type { BatchHeader, Tick } from '../src/index.js';
import {
  BatchDecoder, BatchEncoder, FLOAT_FIELDS, encodeFloatMap, StringInterner, TICK_WIRE_FIELDS, TickEncodeMemo, TickEncoder, decodeBatch, decodeTick, emptyMarketTick, encodeBatch, stateKey,
  BATCH_TOPIC_PREFIX, batchTopic, decodeTickBatch, encodeTickBatch,
} from '../src/index.js';

function sampleTick(over: Partial<Tick> = {}): Tick {
  const m = emptyMarketTick('rb2601', 'SHFE');
  return {
    ...m, datetime: 1_764_034_200_500, trading_day: '20251125', name: '螺纹钢2601', volume: 123456, turnover: 4.2e9,
    open_interest: 1_800_000, last_price: 3120, last_volume: 12, limit_up: 3340, limit_down: 2900, open_price: 3100,
    high_price: 3130, low_price: 3095, pre_close: 3105, pre_settlement: 3110, average_price: 31150, bid_price_1: 3119,
    ask_price_1: 3120, bid_volume_1: 88, ask_volume_1: 7, localtime: 1_764_034_200_503, gateway_name: 'sim-a',
    seq: 42, iseq: 7, source: 'sim-a', gw_recv_ts: 1_764_034_200_503_000, hub_recv_ts: 1_764_034_200_503_100, hub_pub_ts: 1_764_034_200_503_130, run_id: 'r-1',
    ...over,
  };
}

describe('tick wire codec', () => {
  it('round-trips every field through the fixed-schema encoder and a generic msgpack decoder', () => {
    const t = sampleTick();
    const bytes = new TickEncoder().encode(t);
    const generic = decode(bytes) as Record<string, unknown>;
    expect(Object.keys(generic).sort()).toEqual([...TICK_WIRE_FIELDS].sort());
    expect(decodeTick(bytes)).toEqual(t);
  });

  it('writes market numbers as float64 even when they are whole numbers, and seq as an integer', () => {
    const bytes = new TickEncoder().encode(sampleTick({ volume: 5 }));
    // key "volume" (fixstr 6) followed by 0xcb (float64)
    const key = Buffer.from([0xa6, ...Buffer.from('volume')]);
    const at = bytes.indexOf(key);
    expect(at).toBeGreaterThan(0);
    expect(bytes[at + key.length]).toBe(0xcb);
    const seqKey = Buffer.from([0xa3, ...Buffer.from('seq')]);
    const s = bytes.indexOf(seqKey);
    expect(bytes[s + seqKey.length]).toBe(0xcf); // uint64: an integer for every msgpack reader
    expect(bytes.readUInt32BE(s + seqKey.length + 5)).toBe(42);
  });

  it('encodes large integers (epoch microseconds) exactly', () => {
    const t = sampleTick({ hub_pub_ts: 2 ** 52 + 3, datetime: 4_102_444_800_000 });
    const back = decodeTick(new TickEncoder().encode(t));
    expect(back.hub_pub_ts).toBe(2 ** 52 + 3);
    expect(back.datetime).toBe(4_102_444_800_000);
  });

  it('handles long UTF-8 names and reuses its buffer across ticks of different sizes', () => {
    const enc = new TickEncoder();
    const long = '很长的名字'.repeat(40);
    expect(decodeTick(enc.encode(sampleTick({ name: long }))).name).toBe(long);
    expect(decodeTick(enc.encode(sampleTick({ name: 'x' }))).name).toBe('x');
  });

  it('hands out buffers that stay intact while later ticks are encoded (slab views, never rewritten)', () => {
    const enc = new TickEncoder();
    const ticks = Array.from({ length: 1000 }, (_, i) => sampleTick({ seq: i + 1, last_price: 3000 + i, name: i % 7 === 0 ? '很长的名字'.repeat(30 + (i % 20)) : 'x' }));
    const out = ticks.map((t) => enc.encode(t));
    out.forEach((b, i) => {
      expect(decode(b)).toEqual(decode(encode(ticks[i]!)));
    });
    // views of one slab never overlap
    const bySlab = new Map<ArrayBufferLike, Array<[number, number]>>();
    for (const b of out) {
      const list = bySlab.get(b.buffer) ?? [];
      list.push([b.byteOffset, b.byteOffset + b.length]);
      bySlab.set(b.buffer, list);
    }
    for (const list of bySlab.values()) list.sort((x, y) => x[0] - y[0]).forEach((r, k) => k > 0 && expect(r[0]).toBeGreaterThanOrEqual(list[k - 1]![1]));
    expect(bySlab.size).toBeLessThan(out.length / 10); // slabs, not a buffer per tick
  });

  it('rejects malformed payloads with named errors', () => {
    expect(() => decodeTick(Buffer.from([0xc1]))).toThrow(/MDH_ERR_WIRE_BAD_MESSAGE/);
    expect(() => decodeTick(Buffer.from([0x91, 0x01]))).toThrow(/MDH_ERR_WIRE_BAD_TICK/);
    const bytes = new TickEncoder().encode(sampleTick({ seq: 1.5 }));
    expect(() => decodeTick(bytes)).not.toThrow(); // encoder truncates non-integers to integers
    expect(decodeTick(bytes).seq).toBe(1);
  });
});

describe('TickEncodeMemo', () => {
  it('gives the same bytes as encoding without it, undefined string fields included', () => {
    const enc = new TickEncoder();
    const memo = new TickEncodeMemo();
    const t = sampleTick();
    const u = { ...sampleTick({ symbol: 'cu2701', source: 'b' }), name: undefined as unknown as string };
    expect(enc.encode(t, memo)).toEqual(enc.encode(t));
    expect(enc.encode(u, memo)).toEqual(enc.encode(u));
    expect(enc.encode(t, memo)).toEqual(enc.encode(t));
    expect(decodeTick(enc.encode(u, memo)).name).toBe('');
  });
});

describe('decodeTick string cache', () => {
  it('returns the right strings across many distinct values (UTF-8 names, cache churn), the same object for repeats', () => {
    const enc = new TickEncoder();
    const decoded: Tick[] = [];
    for (let i = 0; i < 150_000; i += 2) { // 150,000 distinct strings: the cache is cleared on the way
      decoded.push(decodeTick(enc.encode(sampleTick({ symbol: `s${i}`, name: `螺纹钢${i}`, source: i % 2 ? 'a' : 'b' }))));
    }
    decoded.forEach((t, j) => {
      expect(t.symbol).toBe(`s${j * 2}`);
      expect(t.name).toBe(`螺纹钢${j * 2}`);
      expect(t.source).toBe('b');
    });
    const again = decodeTick(enc.encode(sampleTick({ symbol: 'rb2701' })));
    const twice = decodeTick(enc.encode(sampleTick({ symbol: 'rb2701' })));
    expect(Object.is(again.symbol, twice.symbol)).toBe(true);
  });
});

describe('gateway batch framing', () => {
  it('round-trips a batch and keeps good ticks when one is malformed', () => {
    const a = sampleTick();
    const b = sampleTick({ symbol: 'SR601', exchange: 'CZCE' });
    const msg = encodeBatch({ runId: 'r', gatewayId: 'g', batchSeq: 3, sentNs: 12.5 }, [a, b]);
    const d = decodeBatch(msg);
    expect(d).toMatchObject({ runId: 'r', gatewayId: 'g', batchSeq: 3, sentNs: 12.5, bad: [] });
    expect(d.ticks).toHaveLength(2);
    for (const f of FLOAT_FIELDS) expect(d.ticks[0]![f]).toBe(a[f]);
    expect(d.ticks[1]!.exchange).toBe('CZCE');
    const broken = encodeBatch({ runId: 'r', gatewayId: 'g', batchSeq: 4, sentNs: 0 }, [a, { ...b, exchange: 'NYSE' as never }]);
    const d2 = decodeBatch(broken);
    expect(d2.ticks).toHaveLength(1);
    expect(d2.bad).toEqual([{ index: 1, reason: 'exchange' }]);
  });

  it('throws MDH_ERR_WIRE_BAD_BATCH on a frame that is not a batch or is cut short', () => {
    expect(() => decodeBatch(Buffer.from('hello'))).toThrow(/MDH_ERR_WIRE_BAD_BATCH/);
    const good = encodeBatch({ runId: 'r', gatewayId: 'g', batchSeq: 1, sentNs: 0 }, [sampleTick()]);
    expect(() => decodeBatch(good.subarray(0, good.length - 3))).toThrow(/overruns/);
    const garbled = Buffer.from(good);
    garbled.writeUInt32LE(1_000_000, 4);
    expect(() => decodeBatch(garbled)).toThrow(/MDH_ERR_WIRE_BAD_BATCH/);
  });

  it('builds ticks in V8 fast-properties mode with hub fields zeroed', () => {
    const ticks = Array.from({ length: 300 }, (_, i) => sampleTick({ symbol: `rb27${i % 3}`, volume: i }));
    const msg = encodeBatch({ runId: 'r', gatewayId: 'g', batchSeq: 1, sentNs: 0 }, ticks);
    const d = decodeBatch(msg);
    expect(d.ticks.map((t) => t.volume)).toEqual(ticks.map((t) => t.volume));
    expect(d.ticks[0]).toMatchObject({ seq: 0, iseq: 0, source: '', run_id: '', name: '螺纹钢2601' });
    // 37 float64 + 5 uint32 per tick, strings once: well under the msgpack map size per tick
    expect(msg.length).toBeLessThan(300 * (37 * 8 + 20) + 400);
  });

  it('sends each string once per link: later batches carry only ids, and decode to the same string objects', () => {
    const enc = new BatchEncoder();
    const interner = new StringInterner();
    const dec = new BatchDecoder(interner);
    const h = (batchSeq: number): BatchHeader => ({ runId: 'r', gatewayId: 'g', batchSeq, sentNs: 0 });
    const ticks = Array.from({ length: 100 }, (_, i) => sampleTick({ symbol: `rb27${i % 50}`, name: `n${i % 50}`, volume: i }));
    const first = enc.encode(h(1), ticks);
    const second = enc.encode(h(2), ticks);
    expect(second.length).toBeLessThan(first.length - 50 * 8); // no strings the second time
    const a = dec.decode(first);
    const b = dec.decode(second);
    expect(b.bad).toEqual([]);
    expect(b.ticks.map((t) => t.symbol)).toEqual(ticks.map((t) => t.symbol));
    expect(b.ticks[7]!.symbol).toBe(a.ticks[7]!.symbol);
    // a second link decoding the same strings gets the very same objects (interned per receiver)
    const other = new BatchDecoder(interner).decode(new BatchEncoder().encode(h(1), [{ ...ticks[7]!, gateway_name: 'h' }]));
    expect(Object.is(other.ticks[0]!.symbol, a.ticks[7]!.symbol)).toBe(true);
    expect(interner.size).toBe(50 + 50 + 4); // symbols, names, exchange, trading day, two gateways
  });

  it('reads datetime, volume and the state key of a record in place, equal to the built tick\'s', () => {
    const ticks = [
      sampleTick(),
      sampleTick({ symbol: 'SR701', exchange: 'CZCE', trading_day: '20261126', volume: 7, last_price: -0 }),
      sampleTick({ symbol: '10008123', exchange: 'SSE', bid_price_1: Number.NaN, ask_price_1: Number.POSITIVE_INFINITY, turnover: 1.7976931348623157e308 }),
    ];
    const v = new BatchDecoder().open(encodeBatch({ runId: 'r', gatewayId: 'g', batchSeq: 1, sentNs: 0 }, ticks));
    expect(v.n).toBe(3);
    for (let k = 0; k < v.n; k++) {
      expect(v.problem(k)).toBeNull();
      const t = v.tick(k);
      expect(v.stateKey(k)).toBe(stateKey(t));
      expect(v.stateKey(k)).toBe(stateKey(ticks[k]!));
      expect([v.datetime(k), v.volume(k), v.symbol(k), v.exchange(k)]).toEqual([t.datetime, t.volume, t.symbol, t.exchange]);
    }
    expect(v.stateKey(0)).not.toBe(v.stateKey(1));
  });

  it('keeps a link\'s table when a frame of another run arrives, and refuses over-long strings', () => {
    const enc = new BatchEncoder();
    const dec = new BatchDecoder();
    const h = (runId: string, batchSeq: number): BatchHeader => ({ runId, gatewayId: 'g', batchSeq, sentNs: 0 });
    dec.open(enc.encode(h('r', 1), [sampleTick({ symbol: 'rb2701' })]), 'r');
    const foreign = dec.open(new BatchEncoder().encode(h('old-run', 1), [sampleTick({ symbol: 'x' })]), 'r');
    expect(foreign.runId).toBe('old-run'); // the caller drops it
    const next = dec.open(enc.encode(h('r', 2), [sampleTick({ symbol: 'rb2701' })]), 'r');
    expect(next.problem(0)).toBeNull();
    expect(next.symbol(0)).toBe('rb2701');
    expect(() => dec.open(new BatchEncoder().encode(h('r', 3), [sampleTick({ name: 'n'.repeat(300) })]))).toThrow(/string too long/);
  });

  it('refuses a header that claims an absurd string table instead of growing one', () => {
    const header = Buffer.from(encode(['r', 'g', 1, 0, 0, 7, 4_000_000_000, ['x']]));
    const frame = Buffer.alloc((8 + header.length + 7) & ~7);
    frame.write('mdb3', 0, 'latin1');
    frame.writeUInt32LE(header.length, 4);
    header.copy(frame, 8);
    expect(() => new BatchDecoder().decode(frame)).toThrow(/string table too large/);
  });

  it('never guesses strings of a lost batch: its ids are reported bad until the next keyframe', () => {
    const enc = new BatchEncoder({ keyframeMs: 60_000 });
    const dec = new BatchDecoder();
    const h = (batchSeq: number): BatchHeader => ({ runId: 'r', gatewayId: 'g', batchSeq, sentNs: 0 });
    dec.decode(enc.encode(h(1), [sampleTick({ symbol: 'rb2701' })]));
    enc.encode(h(2), [sampleTick({ symbol: 'cu2701' })]); // lost on the way
    const third = dec.decode(enc.encode(h(3), [sampleTick({ symbol: 'cu2701' }), sampleTick({ symbol: 'rb2701' }), sampleTick({ symbol: 'al2701' })]));
    expect(third.ticks.map((t) => t.symbol)).toEqual(['rb2701', 'al2701']);
    expect(third.bad).toEqual([{ index: 0, reason: 'string id never defined (a batch was lost)' }]);
    expect(dec.unknownIds).toBe(1);
    // A receiver that joins after a keyframe it missed knows none of the old ids: nothing is borrowed
    // from another table.
    const late = new BatchDecoder();
    late.decode(new BatchEncoder().encode(h(1), [sampleTick({ symbol: 'zn2701' }), sampleTick({ symbol: 'ni2701' })]));
    const mixed = late.decode(enc.encode(h(4), [sampleTick({ symbol: 'rb2701' }), sampleTick({ symbol: 'sn2701' })]));
    expect(mixed.ticks).toEqual([]); // even the exchange and name ids are from the unseen table
    expect(mixed.bad).toHaveLength(2);
    // The next keyframe restores everything.
    const fresh = new BatchEncoder({ keyframeMs: 0 });
    fresh.encode(h(1), [sampleTick({ symbol: 'x1' })]);
    expect(late.decode(fresh.encode(h(2), [sampleTick({ symbol: 'rb2701' })])).ticks.map((t) => t.symbol)).toEqual(['rb2701']);
  });
});

describe('encodeFloatMap (reference data)', () => {
  it('writes every number as a float64, whole or not, and keeps the rest as it is', () => {
    const bytes = encodeFloatMap({ vt_symbol: 'rb2701.SHFE', multiplier: 10, price_tick: 1, strike: 2.5, expiry: null });
    for (const key of ['multiplier', 'price_tick', 'strike']) {
      const k = Buffer.from([0xa0 + key.length, ...Buffer.from(key)]);
      expect(bytes[bytes.indexOf(k) + k.length], key).toBe(0xcb);
    }
    expect(decode(bytes)).toEqual({ vt_symbol: 'rb2701.SHFE', multiplier: 10, price_tick: 1, strike: 2.5, expiry: null });
  });
});

describe('stateKey', () => {
  it('is pinned: the documented algorithm gives this value for this tick (other languages reproduce it)', () => {
    expect(stateKey(sampleTick())).toBe(PINNED_KEY);
  });

  it('ignores where and when a copy arrived, and hub metadata', () => {
    const a = sampleTick();
    const b = sampleTick({ localtime: 1, gateway_name: 'sim-b', seq: 9, iseq: 1, source: 'x', gw_recv_ts: 5, hub_recv_ts: 0, hub_pub_ts: 0, run_id: 'z' });
    expect(stateKey(a)).toBe(stateKey(b));
  });

  it('ignores last_volume, which gateways derive from the snapshot they saw before (no exchange sends it)', () => {
    expect(stateKey(sampleTick({ last_volume: 0 }))).toBe(stateKey(sampleTick({ last_volume: 12 })));
  });

  it('differs when any exchange-given field differs (a book-only change at the same second and volume)', () => {
    const a = sampleTick();
    expect(stateKey(sampleTick({ bid_volume_1: 89 }))).not.toBe(stateKey(a));
    expect(stateKey(sampleTick({ ask_price_5: 3125 }))).not.toBe(stateKey(a));
    expect(stateKey(sampleTick({ datetime: a.datetime + 1 }))).not.toBe(stateKey(a));
    expect(stateKey(sampleTick({ trading_day: '20251126' }))).not.toBe(stateKey(a));
    expect(Number.isSafeInteger(stateKey(a))).toBe(true);
  });
});
// Computed by an independent Python implementation of the documented algorithm (it also reproduces the
// key of the earlier algorithm that still covered last_volume, 1782695120692566).
const PINNED_KEY = 3987195535267071;

describe('decodeTick fast path', () => {
  it('gives the same tick as the generic msgpack path, for ASCII and UTF-8 strings and large integers', () => {
    const t = sampleTick({ name: '螺纹钢2601', hub_pub_ts: 2 ** 52 + 3, run_id: 'x'.repeat(40) });
    const bytes = new TickEncoder().encode(t);
    const fast = decodeTick(bytes);
    expect(fast).toEqual(t);
    expect(fast).toEqual(decode(bytes));
  });

  it('falls back to the generic path for a valid map in another layout (another encoder, key order)', () => {
    const t = sampleTick();
    const reordered = Object.fromEntries(Object.entries(t).reverse());
    const bytes = encode(reordered);
    expect(decodeTick(bytes)).toEqual(t);
  });

  it('rejects a corrupted templated payload instead of misreading it', () => {
    const bytes = Buffer.from(new TickEncoder().encode(sampleTick()));
    bytes[10] = 0x00; // inside the first key
    expect(() => decodeTick(bytes)).toThrow(/MDH_ERR_WIRE/);
    const cut = new TickEncoder().encode(sampleTick()).subarray(0, 900);
    expect(() => decodeTick(cut)).toThrow(/MDH_ERR_WIRE/);
  });
});

describe('batch stream payload (wire v1.1)', () => {
  it('carries the per-tick payloads unchanged and decodes them through the fast path and a generic decoder alike', () => {
    const enc = new TickEncoder();
    const ticks = [sampleTick({ seq: 10, iseq: 3 }), sampleTick({ symbol: 'hc2601', name: '', seq: 12, iseq: 1 }), sampleTick({ seq: 15, iseq: 4, last_price: 3121.5 })];
    const payload = encodeTickBatch('r-1', 10, 15, ticks.map((t) => enc.encode(t)));
    const generic = decode(payload) as { run_id: string; first_seq: number; last_seq: number; ticks: unknown[] };
    expect(generic).toMatchObject({ run_id: 'r-1', first_seq: 10, last_seq: 15 });
    expect(generic.ticks).toEqual(ticks);
    expect(decodeTickBatch(payload)).toEqual({ run_id: 'r-1', first_seq: 10, last_seq: 15, ticks });
  });

  it('decodes a batch another encoder wrote (generic path), and names what is wrong with a bad one', () => {
    const t = sampleTick();
    const other = encode({ ticks: [t], last_seq: 42, run_id: 'r-1', first_seq: 42 });
    expect(decodeTickBatch(other)).toEqual({ run_id: 'r-1', first_seq: 42, last_seq: 42, ticks: [t] });
    expect(() => decodeTickBatch(Uint8Array.from([0xc1]))).toThrow(/MDH_ERR_WIRE_BAD_MESSAGE/);
    expect(() => decodeTickBatch(encode({ run_id: 'r-1', ticks: [] }))).toThrow(/MDH_ERR_WIRE_BAD_MESSAGE/);
    expect(() => decodeTickBatch(encode({ run_id: 'r-1', first_seq: 1, last_seq: 1, ticks: [{ ...t, seq: 'x' }] }))).toThrow(/MDH_ERR_WIRE_BAD_TICK/);
    // A batch cut short is not read as a shorter one.
    const whole = encodeTickBatch('r-1', 1, 2, [new TickEncoder().encode(t), new TickEncoder().encode(t)]);
    expect(() => decodeTickBatch(whole.subarray(0, whole.length - 3))).toThrow(/MDH_ERR_WIRE_BAD_MESSAGE/);
  });

  it('names the topic per exchange', () => {
    expect(batchTopic('SHFE')).toBe('batch.SHFE.');
    expect(batchTopic('SHFE').startsWith(BATCH_TOPIC_PREFIX)).toBe(true);
  });
});
