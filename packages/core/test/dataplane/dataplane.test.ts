/**
 * The data plane in-process with real ZeroMQ sockets: batches in on a gateway link, ticks out on PUB.
 * Bad input (garbage frames, malformed ticks, another run's batches) is counted and never stops it.
 */
import * as zmq from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import type { MarketTick, Tick } from '@mdhub/protocol';
import { BatchEncoder, decodeEvent, decodeTick, emptyMarketTick, encodeBatch, encodeEvent } from '@mdhub/protocol';
import { createCleansingPipeline } from '../../src/cleansing/index.js';
import { RB, next, tick as cleanTick } from '../cleansing/helpers.js';
import { DataPlane } from '../../src/dataplane/dataplane.js';
import type { LinkCounters } from '../../src/dataplane/dataplane.js';
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

function tick(symbol: string, dt: number, volume: number, src: string): MarketTick {
  return {
    ...emptyMarketTick(symbol, 'SHFE'), datetime: dt, trading_day: '20261125', volume, last_price: 3100, bid_price_1: 3099,
    ask_price_1: 3100, bid_volume_1: 3, ask_volume_1: 4, localtime: dt + 3, gateway_name: src,
  };
}

async function setup(): Promise<{ dp: DataPlane; push: (src: string) => Promise<zmq.Push>; sub: zmq.Subscriber; runId: string }> {
  const runId = 'run-test';
  dp = new DataPlane({
    hubId: 't', runId, clock, pubEndpoint: 'tcp://127.0.0.1:*', snapshotEndpoint: 'tcp://127.0.0.1:*', linkTransport: 'tcp', groups: [],
  });
  const ep = await dp.start();
  const sub = new zmq.Subscriber({ linger: 0, receiveTimeout: 3000 });
  socks.push(sub);
  sub.connect(ep.pub);
  sub.subscribe('tick.');
  const d = dp;
  const push = async (src: string): Promise<zmq.Push> => {
    const endpoint = await d.addGateway(src);
    d.setHealth(src, true);
    const p = new zmq.Push({ linger: 0 });
    socks.push(p);
    p.connect(endpoint);
    return p;
  };
  await connected(sub);
  return { dp: d, push, sub, runId };
}

/** Waits until the SUB socket receives (a heartbeat): its subscriptions have reached the PUB socket. */
async function connected(sub: zmq.Subscriber): Promise<void> {
  sub.subscribe('heartbeat');
  for (;;) {
    const [topic] = await sub.receive();
    if (topic!.toString() === 'heartbeat') break;
  }
  sub.unsubscribe('heartbeat');
}

async function receive(sub: zmq.Subscriber, n: number): Promise<Tick[]> {
  const out: Tick[] = [];
  while (out.length < n) {
    const [topic, payload] = await sub.receive();
    if (topic!.toString().startsWith('tick.')) out.push(decodeTick(payload!));
  }
  return out;
}

describe('DataPlane', () => {
  it('races copies from two links and publishes each state once with seq, iseq and hub stamps', async () => {
    const { dp: d, push, sub, runId } = await setup();
    const a = await push('a');
    const b = await push('b');
    await a.send(encodeBatch({ runId, gatewayId: 'a', batchSeq: 1, sentNs: Number(process.hrtime.bigint()) }, [tick('rb2701', T0, 10, 'a'), tick('cu2701', T0, 5, 'a')]));
    await b.send(encodeBatch({ runId, gatewayId: 'b', batchSeq: 1, sentNs: Number(process.hrtime.bigint()) }, [tick('rb2701', T0, 10, 'b'), tick('rb2701', T0 + 500, 12, 'b')]));
    const got = await receive(sub, 3);
    expect(got.map((t) => [t.symbol, t.volume, t.seq])).toEqual([['rb2701', 10, 1], ['cu2701', 5, 2], ['rb2701', 12, 3]]);
    expect(got.map((t) => t.iseq)).toEqual([1, 1, 2]);
    for (const t of got) {
      expect(t.run_id).toBe(runId);
      expect(t.hub_pub_ts).toBeGreaterThanOrEqual(t.hub_recv_ts);
      expect(t.gw_recv_ts).toBeGreaterThan(0);
      expect(t.hub_recv_ts - t.gw_recv_ts).toBeLessThan(5_000_000); // same clock, seconds at most
    }
    const s = d.stats();
    expect(s.sources['a']).toMatchObject({ wins: 2, batches: 1 });
    expect(s.sources['b']).toMatchObject({ wins: 1, duplicates: 1 });
  });

  it('publishes last_volume as the volume since the states it published before, whichever source won; the source\'s figure only for a first state of the day', async () => {
    const { push, sub, runId } = await setup();
    const a = await push('a');
    const b = await push('b');
    const lv = (t: MarketTick, v: number): MarketTick => ({ ...t, last_volume: v });
    // a wins 10 (its own figure 7 stands: the first state), b wins 15 and 15 again with another book (CZCE-like),
    // a wins 20 claiming 99 (it missed states), then the next trading day starts at 3.
    await a.send(encodeBatch({ runId, gatewayId: 'a', batchSeq: 1, sentNs: 0 }, [lv(tick('rb2701', T0, 10, 'a'), 7)]));
    await receive(sub, 1);
    await b.send(encodeBatch({ runId, gatewayId: 'b', batchSeq: 1, sentNs: 0 }, [lv(tick('rb2701', T0 + 500, 15, 'b'), 1), { ...lv(tick('rb2701', T0 + 500, 15, 'b'), 1), bid_volume_1: 9 }]));
    await receive(sub, 2).then((got) => expect(got.map((t) => t.last_volume)).toEqual([5, 0]));
    await a.send(encodeBatch({ runId, gatewayId: 'a', batchSeq: 2, sentNs: 0 }, [lv(tick('rb2701', T0 + 1000, 20, 'a'), 99), { ...lv(tick('rb2701', T0 + 1500, 3, 'a'), 3), trading_day: '20261126' }]));
    await receive(sub, 2).then((got) => expect(got.map((t) => [t.volume, t.last_volume])).toEqual([[20, 5], [3, 3]]));
  });

  it('counts garbage frames, malformed ticks and batches of another run, and keeps going', async () => {
    const { dp: d, push, sub, runId } = await setup();
    const a = await push('a');
    await a.send(Buffer.from('not msgpack at all'));
    await a.send(encodeBatch({ runId: 'other-run', gatewayId: 'a', batchSeq: 1, sentNs: 0 }, [tick('rb2701', T0, 1, 'a')]));
    const broken = { ...tick('rb2701', T0, 2, 'a'), exchange: 'NYSE' as MarketTick['exchange'] };
    await a.send(encodeBatch({ runId, gatewayId: 'a', batchSeq: 2, sentNs: 0 }, [broken, tick('rb2701', T0, 3, 'a')]));
    const [t] = await receive(sub, 1);
    expect(t!.volume).toBe(3);
    const s = d.stats().sources['a']!;
    expect(s).toMatchObject({ badBatches: 1, wrongRun: 1, badTicks: 1, batches: 1, wins: 1 });
  });

  it('runs the cleansing check per copy before the race: a rejected copy never wins', async () => {
    const runId = 'run-test';
    dp = new DataPlane({
      hubId: 't', runId, clock, pubEndpoint: 'tcp://127.0.0.1:*', snapshotEndpoint: 'tcp://127.0.0.1:*', linkTransport: 'tcp', groups: [],
      check: (t) => (t.last_price > 1e300 ? { ok: false, rule: 'non_finite', reason: 'DBL_MAX' } : { ok: true }),
    });
    const ep = await dp.start();
    const sub = new zmq.Subscriber({ linger: 0, receiveTimeout: 3000 });
    socks.push(sub);
    sub.connect(ep.pub);
    sub.subscribe('tick.');
    const ea = await dp.addGateway('a');
    const eb = await dp.addGateway('b');
    dp.setHealth('a', true);
    dp.setHealth('b', true);
    const a = new zmq.Push({ linger: 0 });
    const b = new zmq.Push({ linger: 0 });
    socks.push(a, b);
    a.connect(ea);
    b.connect(eb);
    await new Promise((r) => setTimeout(r, 200));
    await a.send(encodeBatch({ runId, gatewayId: 'a', batchSeq: 1, sentNs: 0 }, [{ ...tick('rb2701', T0, 10, 'a'), last_price: 1.7976931348623157e308 }]));
    await new Promise((r) => setTimeout(r, 50));
    await b.send(encodeBatch({ runId, gatewayId: 'b', batchSeq: 1, sentNs: 0 }, [tick('rb2701', T0, 10, 'b')]));
    const [t] = await receive(sub, 1);
    expect(t!.source).toBe('b');
    expect(t!.last_price).toBe(3100);
    expect(dp.stats().rejections).toEqual({ a: { non_finite: 1 } });
    expect(dp.stats().sources['a']).toMatchObject({ rejected: 1, wins: 0 });
  });
});

describe('DataPlane publishing', () => {
  it('hands a burst straight to libzmq: every tick reaches the subscriber in order, nothing waits in the hub', async () => {
    const runId = 'run-test';
    dp = new DataPlane({
      hubId: 't', runId, clock, pubEndpoint: 'tcp://127.0.0.1:*', snapshotEndpoint: 'tcp://127.0.0.1:*', linkTransport: 'tcp', groups: [],
    });
    const ep = await dp.start();
    const sub = new zmq.Subscriber({ linger: 0, receiveTimeout: 5000 });
    socks.push(sub);
    sub.connect(ep.pub);
    sub.subscribe('tick.');
    const link = await dp.addGateway('a');
    dp.setHealth('a', true);
    await connected(sub);
    const burst = Array.from({ length: 5000 }, (_, i) => tick(`rb27${String(i).padStart(4, '0')}`, T0, 1, 'a'));
    // Fed directly (as the link's receive loop does): published synchronously, before handleBatch returns.
    dp.handleBatch('a', encodeBatch({ runId, gatewayId: 'a', batchSeq: 1, sentNs: 0 }, burst), { batches: 0, handlerErrors: 0, badBatches: 0, badTicks: 0, wrongRun: 0, lastBatchSeq: 0, gaps: 0 });
    expect(dp.stats()).toMatchObject({ seq: 5000, publishDropped: 0 });
    expect(link).toMatch(/^tcp:/);
    const seqs = (await receive(sub, 5000)).map((t) => t.seq);
    expect(seqs).toEqual(Array.from({ length: 5000 }, (_, i) => i + 1));
  });
});

describe('DataPlane under a backlog', () => {
  it('keeps its heartbeat going while it works through messages queued on a link', async () => {
    const runId = 'run-test';
    dp = new DataPlane({
      hubId: 't', runId, clock, pubEndpoint: 'tcp://127.0.0.1:*', snapshotEndpoint: 'tcp://127.0.0.1:*', linkTransport: 'tcp', groups: [], heartbeatMs: 20,
    });
    const ep = await dp.start();
    const hb = new zmq.Subscriber({ linger: 0, receiveTimeout: 10_000 });
    socks.push(hb);
    hb.connect(ep.pub);
    await connected(hb);
    hb.subscribe('heartbeat');
    const endpoint = await dp.addGateway('a');
    dp.setHealth('a', true);
    const push = new zmq.Push({ linger: 0, sendHighWaterMark: 10_000 });
    socks.push(push);
    push.connect(endpoint);
    // 60 messages of 2,000 new states: a backlog of several hundred ms of work, queued at once
    const enc = new BatchEncoder();
    const symbols = Array.from({ length: 2000 }, (_, i) => `rb27${String(i).padStart(4, '0')}`);
    const msgs = Array.from({ length: 60 }, (_, b) => enc.encode({ runId, gatewayId: 'a', batchSeq: b + 1, sentNs: 0 }, symbols.map((s) => tick(s, T0 - 40_000 + b * 500, b + 1, 'a'))));
    const total = 60 * 2000;
    for (const m of msgs) await push.send(m);
    // arrival times of the beats sent while the backlog was worked off (seq between its first and last tick)
    const during: number[] = [];
    let first = 0;
    let last = 0;
    for (;;) {
      const [, payload] = await hb.receive();
      const beat = decodeEvent<{ seq: number }>(payload!);
      const now = performance.now();
      if (beat.seq > 0 && beat.seq < total) {
        if (during.length === 0) first = now;
        during.push(now);
      }
      if (beat.seq === total) {
        last = now;
        break;
      }
    }
    // without a turn for timers the backlog silences the heartbeat: none carry an intermediate seq
    expect(during.length).toBeGreaterThanOrEqual(3);
    // and they keep coming through it: no silence longer than half the backlog's time
    const gaps = during.map((t, i) => (i === 0 ? 0 : t - during[i - 1]!)).concat(last - during[during.length - 1]!);
    expect(Math.max(...gaps)).toBeLessThan(Math.max(100, (last - first) / 2));
  });
});

describe('DataPlane race with cleansing', () => {
  it('counts race duplicates unchecked, publishes each state once, and keeps a losing source judged on current data', async () => {
    const pipeline = createCleansingPipeline();
    dp = new DataPlane({
      hubId: 't', runId: 'r', clock, pubEndpoint: 'tcp://127.0.0.1:*', snapshotEndpoint: 'tcp://127.0.0.1:*', linkTransport: 'tcp', groups: [],
      check: (t, s, slot) => pipeline.check(t, s, slot), observe: (t, s, l, slot) => pipeline.observe(t, s, l, slot),
    });
    await dp.start();
    for (const s of ['a', 'b']) dp.setHealth(s, true);
    const enc = { a: new BatchEncoder(), b: new BatchEncoder() };
    const link = (): LinkCounters =>
      ({ batches: 0, handlerErrors: 0, badBatches: 0, badTicks: 0, wrongRun: 0, lastBatchSeq: 0, gaps: 0 });
    const counters = { a: link(), b: link() };
    const feed = (src: 'a' | 'b', t: MarketTick, seq: number): void => {
      dp!.handleBatch(src, enc[src].encode({ runId: 'r', gatewayId: src, batchSeq: seq, sentNs: 0 }, [{ ...t, gateway_name: src }]), counters[src]);
    };
    const states: MarketTick[] = [cleanTick(RB)];
    for (let i = 1; i <= 50; i++) {
      const s = states[i - 1]!;
      feed('a', s, i); // a is faster: its copy wins
      feed('b', { ...s, localtime: s.localtime + 4 }, i); // b's copy of the same state: a duplicate
      states.push(next(RB, s, s.last_price + (i % 3) - 1));
    }
    const st = dp.stats();
    expect(st.seq).toBe(50);
    expect(st.sources['a']).toMatchObject({ wins: 50, duplicates: 0, rejected: 0 });
    expect(st.sources['b']).toMatchObject({ wins: 0, duplicates: 50, rejected: 0 });
    expect(pipeline.stats().checked).toBe(50); // only the winners ran the rules
    // a fails. b's cleansing state followed the race (observe), so a replay of a state 20 s old from b
    // is caught as a stale replay, not merely dropped as an old copy…
    dp.setHealth('a', false);
    const last = states[50]!;
    feed('b', { ...states[10]!, localtime: last.localtime }, 51);
    expect(dp.stats().sources['b']).toMatchObject({ rejected: 1, old: 0 });
    // …and b's next real state is published.
    feed('b', last, 52);
    expect(dp.stats()).toMatchObject({ seq: 51 });
  });

  it('snapshot service: bad requests are named and counted, unknown names are listed, an oversized request is refused', async () => {
    const { push, sub, runId } = await setup();
    const a = await push('a');
    await a.send(encodeBatch({ runId, gatewayId: 'a', batchSeq: 1, sentNs: 0 }, [tick('rb2701', T0, 10, 'a')]));
    await receive(sub, 1);
    const ep = dp!.endpoints.snapshot;
    const ask = async (payload: Buffer, timeoutMs = 3000): Promise<Record<string, unknown> | null> => {
      const d = new zmq.Dealer({ linger: 0, receiveTimeout: timeoutMs });
      socks.push(d);
      d.connect(ep);
      await d.send(payload);
      try {
        const [reply] = await d.receive();
        return decodeEvent(reply!);
      } catch {
        return null; // no answer
      }
    };
    const bad = (r: Record<string, unknown> | null): unknown => r && [r['ok'], r['error']];
    expect(bad(await ask(encodeEvent({ op: 'last', instruments: 5 })))).toEqual([false, 'MDH_ERR_SNAPSHOT_BAD_REQUEST']);
    expect(bad(await ask(encodeEvent({ op: 'last', instruments: 'rb2701.SHFE' })))).toEqual([false, 'MDH_ERR_SNAPSHOT_BAD_REQUEST']);
    expect(bad(await ask(Buffer.from('not msgpack')))).toEqual([false, 'MDH_ERR_SNAPSHOT_BAD_REQUEST']);
    expect(bad(await ask(encodeEvent({ op: 'drop-tables' })))).toEqual([false, 'MDH_ERR_SNAPSHOT_BAD_REQUEST']);
    const last = await ask(encodeEvent({ op: 'last', instruments: ['rb2701.SHFE', 'zz9999.SHFE'], id: 7 }));
    expect(last).toMatchObject({ ok: true, id: 7, unknown: ['zz9999.SHFE'] });
    expect((last!['ticks'] as Tick[]).map((t) => t.symbol)).toEqual(['rb2701']);
    // Larger than any request: libzmq refuses it unread (no answer), and the service goes on.
    expect(await ask(Buffer.alloc(4 * 1024 * 1024, 0x90), 1000)).toBeNull();
    expect(await ask(encodeEvent({ op: 'last' }))).toMatchObject({ ok: true });
    expect(dp!.stats().snapshotBadRequests).toBe(4);
  });
});
