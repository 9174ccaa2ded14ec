/**
 * The batch stream (wire v1.1): the data plane publishes each exchange's ticks of one link message once
 * more as one message on `batch.<EXCHANGE>.`. Both streams must carry the same ticks in the same order,
 * batches must stay within their bounds, and a burst must cost far fewer messages than ticks.
 */
import * as zmq from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import type { Exchange, Tick } from '@mdhub/protocol';
import {
  TICK_BATCH_MAX_BYTES, TICK_BATCH_MAX_TICKS, decodeEvent, decodeTick, decodeTickBatch, encodeBatch,
} from '@mdhub/protocol';
import { BATCH_EARLY_MIN_TICKS, BATCH_MAX_WAIT_US, BatchStream } from '../../src/dataplane/batch-stream.js';
import { DataPlane } from '../../src/dataplane/dataplane.js';
import { bookTick } from './fixtures.js';
import { simulatedClock } from '../../src/market/index.js';

const T0 = Date.parse('2026-11-25T09:40:00+08:00');
const clock = simulatedClock({ anchorMs: T0 });
let dp: DataPlane | null = null;
const socks: Array<{ close(): void }> = [];

afterEach(async () => {
  for (const s of socks.splice(0)) s.close();
  await dp?.close();
  dp = null;
});

const tick = bookTick;

function sample(seq: number, exchange: Exchange = 'SHFE'): Tick {
  return { ...tick(`x${seq}`, exchange, T0, 1), seq, iseq: 1, source: 'a', gw_recv_ts: 1, hub_recv_ts: 2, hub_pub_ts: 3, run_id: 'r' } as Tick;
}

describe('BatchStream', () => {
  it('groups a turn by exchange, keeps order, and says which seqs each batch spans', () => {
    const sent: Array<{ topic: string; payload: Uint8Array }> = [];
    const bs = new BatchStream('r', (topic, payload) => sent.push({ topic: topic.toString(), payload }));
    const order: Array<[Exchange, number]> = [['SHFE', 1], ['DCE', 2], ['SHFE', 3], ['CZCE', 4], ['DCE', 5]];
    for (const [ex, seq] of order) bs.add(ex, sample(seq, ex), undefined, seq, 1000 + seq);
    expect(sent).toEqual([]); // nothing goes out before the turn ends
    bs.flush();
    expect(sent.map((s) => s.topic)).toEqual(['batch.SHFE.', 'batch.DCE.', 'batch.CZCE.']);
    const decoded = sent.map((s) => decodeTickBatch(s.payload));
    expect(decoded.map((b) => [b.first_seq, b.last_seq, b.ticks.map((t) => t.seq)])).toEqual([[1, 3, [1, 3]], [2, 5, [2, 5]], [4, 4, [4]]]);
    bs.flush();
    expect(sent).toHaveLength(3); // an empty turn sends nothing
  });

  it(`splits a long turn at ${TICK_BATCH_MAX_TICKS} ticks or ${TICK_BATCH_MAX_BYTES} bytes, in order`, () => {
    const sent: Uint8Array[] = [];
    const bs = new BatchStream('r', (_t, payload) => sent.push(payload));
    for (let seq = 1; seq <= 1000; seq++) bs.add('SHFE', sample(seq), undefined, seq, 1000);
    bs.flush();
    const batches = sent.map((p) => decodeTickBatch(p));
    expect(batches.flatMap((b) => b.ticks.map((t) => t.seq))).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    for (const [i, p] of sent.entries()) {
      expect(p.length).toBeLessThanOrEqual(TICK_BATCH_MAX_BYTES);
      expect(batches[i]!.ticks.length).toBeLessThanOrEqual(TICK_BATCH_MAX_TICKS);
    }
    expect(sent.length).toBeLessThan(1000 / 50);
  });

  it('encodes each tick once: what it returns and what it sent stay intact while later ticks are encoded', () => {
    // The per-tick payload and the batch messages are views of the exchange's slabs; a slab must never be
    // written where a view was handed out (a queued message would change under libzmq).
    const sent: Uint8Array[] = [];
    const bs = new BatchStream('r', (_t, payload) => sent.push(payload));
    const exchanges: Exchange[] = ['SHFE', 'DCE', 'CZCE'];
    const views: Array<{ seq: number; view: Uint8Array }> = [];
    for (let seq = 1; seq <= 3000; seq++) {
      views.push({ seq, view: bs.add(exchanges[seq % 3]!, sample(seq, exchanges[seq % 3]!), undefined, seq, 1000 + seq) });
      if (seq % 37 === 0) bs.flush(); // turns of uneven length
    }
    bs.flush();
    for (const { seq, view } of views) expect(decodeTick(view)).toEqual(sample(seq, exchanges[seq % 3]!));
    const batched = sent.flatMap((p) => decodeTickBatch(p).ticks);
    expect(batched.map((t) => t.seq).sort((a, b) => a - b)).toEqual(views.map((v) => v.seq));
    for (const t of batched) expect(t).toEqual(sample(t.seq, exchanges[t.seq % 3]!));
    expect(new Set(views.map((v) => v.view.buffer)).size).toBeGreaterThan(3); // the slabs filled and were replaced
  });

  it(`sends what waits once ${BATCH_EARLY_MIN_TICKS} ticks wait and the oldest has waited ${BATCH_MAX_WAIT_US} µs, every exchange at once`, () => {
    const sent: Array<{ topic: string; seqs: number[] }> = [];
    const bs = new BatchStream('r', (topic, payload) => sent.push({ topic: topic.toString(), seqs: decodeTickBatch(payload).ticks.map((t) => t.seq) }));
    // A slow small turn: few ticks wait long, still one message per exchange at its end.
    bs.add('SHFE', sample(1), undefined, 1, 10_000);
    bs.add('DCE', sample(2, 'DCE'), undefined, 2, 10_100);
    bs.add('SHFE', sample(3), undefined, 3, 10_000 + 5 * BATCH_MAX_WAIT_US);
    expect(sent).toEqual([]);
    bs.flush();
    expect(sent).toEqual([{ topic: 'batch.SHFE.', seqs: [1, 3] }, { topic: 'batch.DCE.', seqs: [2] }]);
    // A long turn: once 64 wait and the first has waited 250 µs, what waits goes out.
    sent.length = 0;
    let seq = 10;
    for (let i = 0; i < BATCH_EARLY_MIN_TICKS; i++, seq++) bs.add(i % 2 === 0 ? 'SHFE' : 'DCE', sample(seq), undefined, seq, 20_000 + i);
    expect(sent).toEqual([]);
    bs.add('SHFE', sample(seq), undefined, seq, 20_000 + BATCH_MAX_WAIT_US);
    expect(sent.map((x) => x.topic)).toEqual(['batch.SHFE.', 'batch.DCE.']);
    expect(sent.flatMap((x) => x.seqs).sort((a, b) => a - b)).toEqual(Array.from({ length: BATCH_EARLY_MIN_TICKS }, (_, i) => 10 + i));
    bs.flush();
    expect(sent.at(-1)).toEqual({ topic: 'batch.SHFE.', seqs: [seq] });
  });
});

describe('DataPlane batch stream', () => {
  it('carries exactly the per-tick topics\' ticks, in the same order, in far fewer messages; the heartbeat announces it', async () => {
    const runId = 'run-batch';
    dp = new DataPlane({ hubId: 't', runId, clock, pubEndpoint: 'tcp://127.0.0.1:*', snapshotEndpoint: 'tcp://127.0.0.1:*', linkTransport: 'tcp', groups: [] });
    const ep = await dp.start();
    const sub = new zmq.Subscriber({ linger: 0, receiveTimeout: 5000, receiveHighWaterMark: 0 });
    socks.push(sub);
    sub.connect(ep.pub);
    sub.subscribe('heartbeat');
    let hb: Record<string, unknown> | null = null;
    while (hb === null) {
      const [topic, payload] = await sub.receive();
      if (topic!.toString() === 'heartbeat') hb = decodeEvent(payload!);
    }
    expect(hb['features']).toEqual(['batch']);
    sub.subscribe('tick.');
    sub.subscribe('batch.');
    await new Promise((r) => setTimeout(r, 200)); // the subscriptions reach the PUB socket
    await dp.addGateway('a');
    dp.setHealth('a', true);
    // What the publisher is handed: a per-tick payload must not be a view of a batch slab (a slow per-tick
    // subscriber's queue would hold 256 KB per queued tick); it lives in the encoder's 16 KB slabs.
    const pub = (dp as unknown as { pub: { send(topic: Buffer | string, payload: Uint8Array): boolean } }).pub;
    const send = pub.send.bind(pub);
    const backing = { tick: 0, batch: 0 };
    pub.send = (topic, payload) => {
      const t = topic.toString();
      if (t.startsWith('tick.')) backing.tick = Math.max(backing.tick, payload.buffer.byteLength);
      if (t.startsWith('batch.')) backing.batch = Math.max(backing.batch, payload.buffer.byteLength);
      return send(topic, payload);
    };
    const exchanges: Exchange[] = ['SHFE', 'DCE', 'CZCE', 'CFFEX'];
    const counters = { batches: 0, handlerErrors: 0, badBatches: 0, badTicks: 0, wrongRun: 0, lastBatchSeq: 0, gaps: 0 };
    let n = 0;
    for (let msg = 1; msg <= 20; msg++) {
      // 20 link messages of 150 ticks over 4 exchanges and 40 instruments: a burst each.
      const ticks = Array.from({ length: 150 }, (_, i) => tick(`s${i % 40}`, exchanges[i % 4]!, T0 - 60_000 + msg * 1000 + i, msg * 1000 + i));
      n += ticks.length;
      dp.handleBatch('a', encodeBatch({ runId, gatewayId: 'a', batchSeq: msg, sentNs: 0 }, ticks), counters);
    }
    expect(dp.stats().seq).toBe(n);
    const perTick: Tick[] = [];
    const batched: Tick[] = [];
    let batchMessages = 0;
    while (perTick.length < n || batched.length < n) {
      const [topic, payload] = await sub.receive();
      const t = topic!.toString();
      if (t.startsWith('tick.')) perTick.push(decodeTick(payload!));
      else if (t.startsWith('batch.')) {
        const b = decodeTickBatch(payload!);
        batchMessages++;
        expect(b.run_id).toBe(runId);
        expect(t).toBe(`batch.${b.ticks[0]!.exchange}.`);
        for (const x of b.ticks) expect(x.exchange).toBe(b.ticks[0]!.exchange);
        batched.push(...b.ticks);
      }
    }
    expect(batched).toHaveLength(n);
    // Same ticks (every field), same order per instrument; all together they are every seq once.
    const byInstrument = (ts: Tick[]): Map<string, Tick[]> => {
      const m = new Map<string, Tick[]>();
      for (const x of ts) m.set(`${x.symbol}.${x.exchange}`, [...(m.get(`${x.symbol}.${x.exchange}`) ?? []), x]);
      return m;
    };
    expect(byInstrument(batched)).toEqual(byInstrument(perTick));
    expect(batched.map((x) => x.seq).sort((a, b) => a - b)).toEqual(perTick.map((x) => x.seq));
    // At least one message per exchange and link message; more when a turn outlasts the batch's 250 µs wait.
    expect(batchMessages).toBeGreaterThanOrEqual(20 * 4);
    expect(batchMessages).toBeLessThanOrEqual(n / 3);
    expect(backing.tick).toBeGreaterThan(0);
    expect(backing.tick).toBeLessThanOrEqual(16 * 1024);
    expect(backing.batch).toBeGreaterThan(16 * 1024);
  });
});
