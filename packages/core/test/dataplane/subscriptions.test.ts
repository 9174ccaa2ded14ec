/**
 * The PUB socket is an XPUB: the data plane knows which topic prefixes some subscriber holds, and builds
 * and sends a tick's per-tick message, or an exchange's batch, only when someone would receive it.
 * Nothing a subscriber asked for may go missing: not when a second subscriber of the same prefix leaves,
 * not when a subscription comes after the instrument was first published.
 */
import * as zmq from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import type { Exchange } from '@mdhub/protocol';
import { decodeEvent, decodeTick, decodeTickBatch, encodeBatch, encodeEvent } from '@mdhub/protocol';
import { DataPlane } from '../../src/dataplane/dataplane.js';
import { bookTick } from './fixtures.js';
import { simulatedClock } from '../../src/market/index.js';

const T0 = Date.parse('2026-11-25T09:40:00+08:00');
const clock = simulatedClock({ anchorMs: T0 });
const runId = 'run-subs';
let dp: DataPlane | null = null;
const socks: Array<{ close(): void }> = [];

afterEach(async () => {
  for (const s of socks.splice(0)) s.close();
  await dp?.close();
  dp = null;
});

const tick = bookTick;

const counters = (): { batches: number; handlerErrors: number; badBatches: number; badTicks: number; wrongRun: number; lastBatchSeq: number; gaps: number } =>
  ({ batches: 0, handlerErrors: 0, badBatches: 0, badTicks: 0, wrongRun: 0, lastBatchSeq: 0, gaps: 0 });

async function start(subscriptionPollMs?: number): Promise<{ dp: DataPlane; pub: string; snapshot: string; link: string }> {
  dp = new DataPlane({
    hubId: 't', runId, clock, pubEndpoint: 'tcp://127.0.0.1:*', snapshotEndpoint: 'tcp://127.0.0.1:*', linkTransport: 'tcp', groups: [],
    ...(subscriptionPollMs !== undefined ? { subscriptionPollMs } : {}),
  });
  const ep = await dp.start();
  const link = await dp.addGateway('a');
  dp.setHealth('a', true);
  return { dp, pub: ep.pub, snapshot: ep.snapshot, link };
}

function subscriber(endpoint: string, prefixes: string[]): zmq.Subscriber {
  const sub = new zmq.Subscriber({ linger: 0, receiveTimeout: 300, receiveHighWaterMark: 0 });
  socks.push(sub);
  sub.connect(endpoint);
  for (const p of prefixes) sub.subscribe(p);
  return sub;
}

/** Waits until the data plane holds `n` subscribed prefixes (it reads them from the XPUB socket). */
async function prefixesReach(d: DataPlane, n: number): Promise<void> {
  const until = Date.now() + 5000;
  while (d.stats().subscribers.prefixes !== n) {
    if (Date.now() > until) throw new Error(`subscribed prefixes stayed at ${d.stats().subscribers.prefixes}, expected ${n}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Every tick and batch message the subscriber gets until it has had none for its receive timeout (heartbeats and events are skipped). */
async function drain(sub: zmq.Subscriber): Promise<Array<{ topic: string; payload: Buffer }>> {
  const out: Array<{ topic: string; payload: Buffer }> = [];
  let quietSince = Date.now();
  while (Date.now() - quietSince < 300) {
    try {
      const [topic, payload] = await sub.receive();
      const t = topic!.toString('latin1');
      if (!t.startsWith('tick.') && !t.startsWith('batch.')) continue;
      out.push({ topic: t, payload: payload! });
      quietSince = Date.now();
    } catch {
      return out;
    }
  }
  return out;
}

/** One link message of 30 ticks: 3 exchanges × 10 instruments, each instrument a new state. */
let linkSeq = 0;
function burst(d: DataPlane, c: ReturnType<typeof counters>): { sent: number; unsent: number; published: number } {
  const exchanges: Exchange[] = ['SHFE', 'DCE', 'CZCE'];
  linkSeq++;
  const ticks = Array.from({ length: 30 }, (_, i) => tick(`s${i % 10}`, exchanges[Math.floor(i / 10)]!, T0 - 60_000 + linkSeq * 1000, linkSeq * 100 + i));
  const before = d.stats();
  d.handleBatch('a', encodeBatch({ runId, gatewayId: 'a', batchSeq: linkSeq, sentNs: 0 }, ticks), c);
  const after = d.stats();
  return {
    sent: after.published - before.published,
    unsent: after.subscribers.unsubscribedTicks - before.subscribers.unsubscribedTicks,
    published: after.seq - before.seq,
  };
}

describe('subscription-aware publishing (XPUB)', () => {
  it('sends per-tick messages and batches only for prefixes someone holds, and stops when they leave', async () => {
    const { dp: d, pub } = await start();
    const c = counters();
    // Nobody subscribed: every tick is published (seq moves on) and nothing is sent.
    expect(burst(d, c)).toEqual({ sent: 0, unsent: 30, published: 30 });

    const sub = subscriber(pub, ['batch.SHFE.', 'tick.DCE.s1.']);
    await prefixesReach(d, 2);
    // SHFE's 10 ticks in one batch message, DCE s1's one tick per tick; the other 29 per-tick messages unsent.
    expect(burst(d, c)).toEqual({ sent: 2, unsent: 29, published: 30 });
    const got = await drain(sub);
    expect(got.map((m) => m.topic).sort()).toEqual(['batch.SHFE.', 'tick.DCE.s1.']);
    const batch = decodeTickBatch(got.find((m) => m.topic === 'batch.SHFE.')!.payload);
    expect(batch.ticks.map((t) => `${t.symbol}.${t.exchange}`)).toEqual(Array.from({ length: 10 }, (_, i) => `s${i}.SHFE`));
    expect(decodeTick(got.find((m) => m.topic === 'tick.DCE.s1.')!.payload).volume).toBe(linkSeq * 100 + 11);

    sub.unsubscribe('batch.SHFE.');
    await prefixesReach(d, 1);
    expect(burst(d, c)).toEqual({ sent: 1, unsent: 29, published: 30 });
    expect((await drain(sub)).map((m) => m.topic)).toEqual(['tick.DCE.s1.']);

    // A subscriber that disconnects takes its prefixes with it.
    sub.close();
    await prefixesReach(d, 0);
    expect(burst(d, c)).toEqual({ sent: 0, unsent: 30, published: 30 });
  });

  it('keeps sending a prefix while any subscriber holds it, and a subscription of everything takes every tick', async () => {
    const { dp: d, pub } = await start();
    const c = counters();
    const first = subscriber(pub, ['tick.DCE.']);
    const second = subscriber(pub, ['tick.DCE.']);
    await prefixesReach(d, 1);
    await new Promise((r) => setTimeout(r, 100)); // the second subscription reaches the socket too (libzmq reports only the first)
    first.close();
    await new Promise((r) => setTimeout(r, 200)); // its departure is processed: the prefix must stay
    expect(d.stats().subscribers.prefixes).toBe(1);
    expect(burst(d, c)).toEqual({ sent: 10, unsent: 20, published: 30 });
    expect((await drain(second)).map((m) => decodeTick(m.payload).exchange)).toEqual(Array(10).fill('DCE'));

    const all = subscriber(pub, ['']);
    await prefixesReach(d, 2);
    // Every per-tick message plus one batch per exchange (the empty prefix takes `batch.` too).
    expect(burst(d, c)).toEqual({ sent: 33, unsent: 0, published: 30 });
    const got = await drain(all);
    expect(got.filter((m) => m.topic.startsWith('tick.'))).toHaveLength(30);
    expect(got.filter((m) => m.topic.startsWith('batch.')).flatMap((m) => decodeTickBatch(m.payload).ticks)).toHaveLength(30);
  });

  it('a subscription made before a snapshot request is in effect when the answer comes (the documented join), whatever the poll period', async () => {
    // Subscriptions are polled once a minute here: only the snapshot service's own read can apply it in time.
    const { dp: d, pub, snapshot } = await start(60_000);
    const c = counters();
    burst(d, c);
    const sub = subscriber(pub, ['tick.DCE.s1.']);
    await new Promise((r) => setTimeout(r, 50)); // the subscription reaches the hub's socket (libzmq applies it on the hub's next call)
    const dealer = new zmq.Dealer({ linger: 0, receiveTimeout: 3000 });
    socks.push(dealer);
    dealer.connect(snapshot);
    await dealer.send(encodeEvent({ op: 'last', instruments: ['s1.DCE'] }));
    const [reply] = await dealer.receive();
    const snap = decodeEvent<{ ok: boolean; ticks: Array<{ iseq: number }> }>(reply!);
    expect(snap.ok).toBe(true);
    expect(snap.ticks.map((t) => t.iseq)).toEqual([1]);
    // The next state of s1.DCE must reach the subscriber: iseq 2, right after the snapshot's 1.
    expect(burst(d, c)).toEqual({ sent: 1, unsent: 29, published: 30 });
    const got = await drain(sub);
    expect(got.map((m) => decodeTick(m.payload).iseq)).toEqual([2]);
  });

  it('a subscription made in a quiet spell is read before the next gateway message is handled, however long the idle poll', async () => {
    // The idle poll runs once a minute here: only the read before a gateway message can apply it in time.
    const { dp: d, pub, link } = await start(60_000);
    const push = new zmq.Push({ linger: 0 });
    socks.push(push);
    push.connect(link);
    await new Promise((r) => setTimeout(r, 100)); // a quiet spell: the start's own read is long past
    const sub = subscriber(pub, ['tick.SHFE.s3.']);
    await new Promise((r) => setTimeout(r, 100)); // the subscription reaches the hub's socket; nothing reads it yet
    expect(d.stats().subscribers.prefixes).toBe(0);
    await push.send(encodeBatch({ runId, gatewayId: 'a', batchSeq: 1, sentNs: 0 }, [tick('s3', 'SHFE', T0 - 30_000, 7)]));
    const got = await drain(sub);
    expect(got.map((m) => [m.topic, decodeTick(m.payload).volume])).toEqual([['tick.SHFE.s3.', 7]]);
    expect(d.stats().subscribers.prefixes).toBe(1);
  });

  it('a priority takeover right after a subscription (not yet read) reaches the new subscriber', async () => {
    // A takeover is published outside the receive loop, where a read cannot be awaited: with subscriptions
    // waiting, that turn sends every topic. The idle poll runs once a minute here.
    dp = new DataPlane({
      hubId: 't', runId, clock, pubEndpoint: 'tcp://127.0.0.1:*', snapshotEndpoint: 'tcp://127.0.0.1:*', linkTransport: 'tcp',
      groups: [{ name: 'p', policy: 'priority', instruments: ['all'], sources: ['a', 'b'] }], subscriptionPollMs: 60_000,
    });
    const d = dp;
    const ep = await d.start();
    for (const s of ['a', 'b']) {
      await d.addGateway(s);
      d.setHealth(s, true);
    }
    const c = counters();
    const at = T0 - 30_000;
    d.handleBatch('a', encodeBatch({ runId, gatewayId: 'a', batchSeq: 1, sentNs: 0 }, [tick('rb2701', 'SHFE', at, 10)]), c);
    // b is ahead (a froze): its state is held as standby and published at the takeover
    d.handleBatch('b', encodeBatch({ runId, gatewayId: 'b', batchSeq: 1, sentNs: 0 }, [{ ...tick('rb2701', 'SHFE', at + 500, 12), gateway_name: 'b' }]), counters());
    const sub = subscriber(ep.pub, ['tick.SHFE.rb2701.']);
    await new Promise((r) => setTimeout(r, 100)); // the subscription reaches the hub's socket; nothing reads it yet
    expect(d.stats().subscribers.prefixes).toBe(0);
    d.setHealth('a', false);
    const got = await drain(sub);
    expect(got.map((m) => [m.topic, decodeTick(m.payload).volume, decodeTick(m.payload).source])).toEqual([['tick.SHFE.rb2701.', 12, 'b']]);
    expect(d.stats().takeovers).toBe(1);
  });
});
