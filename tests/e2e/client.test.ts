/**
 * @mdhub/client end to end, against real hubs on simulated sources (three sources racing, the demo
 * tape as ground truth): joining with a snapshot without a hole or a duplicate, a gap made by a paused
 * subscriber past the high-water marks and recovered to the hub's own state, a restart found by run_id
 * with a fresh snapshot, liveness (a slow consumer is not "down"; a SIGKILLed hub is, once its backlog
 * is drained), the bounded queue's policies, AbortSignal, run-time subscriptions, and the batch stream
 * chosen by itself for `*` and `*.EXCH`.
 */
import fs from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Tick } from '@mdhub/protocol';
import { stateKey } from '@mdhub/protocol';
import type { ClientEvent, MdhubClient, SnapshotData } from '@mdhub/client';
import { ClientError, connect } from '@mdhub/client';
import { alive, sleep, startHubProcess, waitFor, type HubProcess } from './helpers.js';
import { checkStream, compareWithTape, tapeFor } from './tape-check.js';

let hubs: HubProcess[] = [];
let clients: MdhubClient[] = [];

afterEach(async () => {
  for (const c of clients) await c.close();
  clients = [];
  for (const h of hubs) {
    const pids = h.childPids();
    await h.stop('SIGKILL');
    for (const pid of pids) await waitFor(`gateway ${pid} gone`, () => !alive(pid), 5000);
  }
  hubs = [];
});

async function hub(extra: string[] = [], opts: Parameters<typeof startHubProcess>[1] = {}): Promise<HubProcess> {
  const h = await startHubProcess(extra, opts);
  hubs.push(h);
  return h;
}

function client(...args: Parameters<typeof connect>): MdhubClient {
  const c = connect(...args);
  clients.push(c);
  return c;
}

function recordEvents(c: MdhubClient): ClientEvent[] {
  const events: ClientEvent[] = [];
  c.on('event', (e) => { if (e.type !== 'heartbeat' && e.type !== 'status') events.push(e); });
  return events;
}

const ofType = <T extends ClientEvent['type']>(events: ClientEvent[], type: T): Array<Extract<ClientEvent, { type: T }>> =>
  events.filter((e): e is Extract<ClientEvent, { type: T }> => e.type === type);

const vtOf = (t: Tick): string => `${t.symbol}.${t.exchange}`;

/** A free loopback port (bound and released), for a hub that must come back on the same endpoints. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** Busy for `ms` (a strategy computing on the event loop). */
function burn(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* computing */ }
}

describe('@mdhub/client end to end', () => {
  it('joins a running hub with a snapshot: every instrument state once, then the live stream, no hole, no duplicate (against the tape)', async () => {
    const h = await hub();
    // Let the market run first, so the join has history to skip.
    const early = client({ endpoint: h.ready.pub });
    let seen = 0;
    early.subscribe('*', () => { seen++; });
    await waitFor('the market ticking', () => seen > 300, 20_000);
    const c = client({ endpoint: h.ready.pub, snapshotEndpoint: h.ready.snapshot });
    const events = recordEvents(c);
    const got: Tick[] = [];
    const sub = c.subscribe('*', (t) => got.push(t));
    await sub.ready;
    await sleep(8000);
    const snaps = ofType(events, 'snapshot');
    expect(snaps).toHaveLength(1);
    expect(snaps[0]).toMatchObject({ reason: 'join' });
    expect(ofType(events, 'gap')).toEqual([]);
    expect(c.batchStream, 'the hub announces the batch stream; the client takes it for *').toBe(true);
    const snapSeq = snaps[0]!.seq;
    // The snapshot's states come first: one per instrument the hub had published, each on the tape.
    const bases = new Map<string, Tick>();
    for (const t of got) if (!bases.has(vtOf(t))) bases.set(vtOf(t), t);
    const first = got.slice(0, snaps[0]!.instruments);
    expect(first.every((t) => t.seq <= snapSeq)).toBe(true);
    expect(new Set(first.map(vtOf)).size).toBe(first.length);
    const { tape } = tapeFor(h, got);
    const maxLocal = Math.max(...got.map((t) => t.localtime));
    const tapeKeys = new Set(tape.advance(maxLocal + 10_000).map((s) => stateKey(s.tick)));
    expect(first.filter((t) => !tapeKeys.has(stateKey(t))).map(vtOf)).toEqual([]);
    // From the snapshot on, per instrument: no state twice, iseq contiguous (no hole at the join), datetime never back.
    checkStream(got);
    // What the hub published after the snapshot: exactly the tape (nothing missing, nothing invented), in seq order.
    const live = got.filter((t) => t.seq > snapSeq);
    const r = compareWithTape(h, live);
    expect(r.expected).toBeGreaterThan(500);
    const st = c.stats();
    console.log(JSON.stringify({ e2e: 'client-join', snapshot_instruments: first.length, snapshot_ms: snaps[0]!.ms, delivered: got.length, batches: st.batches, ticks_received: st.ticks, duplicates_dropped: st.duplicates, latency: st.latency }));
  });

  it('a paused subscriber past the high-water marks loses ticks: typed gap events, re-fetched, and its state ends equal to the hub snapshot', async () => {
    const h = await hub(['--send-hwm', '200']);
    const c = client({ endpoint: h.ready.pub, snapshotEndpoint: h.ready.snapshot, receiveHighWaterMark: 100, receiveBufferBytes: 16_384, batch: 'off' });
    const events = recordEvents(c);
    const seenStates = new Map<string, Map<number, number>>(); // vt → iseq → state key
    const order = new Map<string, number[]>();
    c.subscribe('*', (t) => {
      const vt = vtOf(t);
      let m = seenStates.get(vt);
      if (!m) seenStates.set(vt, (m = new Map()));
      m.set(t.iseq, stateKey(t));
      let o = order.get(vt);
      if (!o) order.set(vt, (o = []));
      o.push(t.iseq);
    });
    await waitFor('ticks flowing', () => c.stats().applied > 200, 20_000);
    // Stop reading until the queues on the way overflow: this socket's 100 messages, the hub's 200 for
    // this subscriber, and the kernel's TCP buffers (about 3,000 ticks here, growing as TCP tunes itself).
    // The hub's seq, asked of the snapshot service (its own socket), says how far the hub has gone.
    const seqNow = async (): Promise<number> => (await c.snapshot([])).seq;
    c.pause();
    const pausedAt = await seqNow();
    // The hub's TCP send buffer grows up to tcp_wmem's maximum (4 MB here, about 6,000 ticks of ~700 bytes):
    // twice what all the queues can hold, so the overflow is certain.
    const wmemMax = Number(fs.readFileSync('/proc/sys/net/ipv4/tcp_wmem', 'utf8').trim().split(/\s+/)[2] ?? 4_194_304);
    const further = Math.max(6000, 2 * (Math.ceil(wmemMax / 700) + 300));
    await waitFor(`the hub ${further} ticks further`, async () => (await seqNow()) - pausedAt > further, 120_000, 500);
    c.resume();
    await waitFor('a gap found', () => ofType(events, 'gap').length > 0, 10_000);
    await waitFor('recovered', () => ofType(events, 'snapshot').some((e) => e.reason === 'gap') && c.stats().buffered === 0, 10_000);
    // The hub's own state now; then the client must have delivered exactly that state of every instrument.
    const truth: SnapshotData = await c.snapshot();
    await waitFor('the client past the snapshot', () => (c.lastHeartbeat?.seq ?? 0) >= truth.seq && c.stats().buffered === 0, 10_000)
      .catch((err: Error) => { throw new Error(`${err.message}: hb seq ${c.lastHeartbeat?.seq}, snapshot seq ${truth.seq}, ${JSON.stringify({ ...c.stats(), latency: null })} ${JSON.stringify(events.slice(-20))}`); });
    const wrong = truth.ticks.filter((t) => seenStates.get(vtOf(t))?.get(t.iseq) !== stateKey(t)).map((t) => `${vtOf(t)}#${t.iseq}`);
    expect(wrong).toEqual([]);
    // Never a tick twice or backwards; every jump in an instrument's iseq was announced as a gap.
    const gapped = new Set(ofType(events, 'gap').map((g) => g.instrument));
    for (const [vt, iseqs] of order) {
      for (let i = 1; i < iseqs.length; i++) {
        expect(iseqs[i]!, vt).toBeGreaterThan(iseqs[i - 1]!);
        if (iseqs[i] !== iseqs[i - 1]! + 1) expect(gapped.has(vt) || gapped.has('*'), `${vt} jumped ${iseqs[i - 1]} → ${iseqs[i]} unannounced`).toBe(true);
      }
    }
    const gaps = ofType(events, 'gap');
    expect(gaps.every((g) => g.recovering)).toBe(true);
    console.log(JSON.stringify({ e2e: 'client-gap', gap_events: gaps.length, seq_gaps: gaps.filter((g) => g.reason === 'seq').length, recovered: c.stats().recovered, snapshots: ofType(events, 'snapshot').length, instruments_checked: truth.ticks.length }));
  });

  it('finds a hub restart by run_id, drops what it held and joins the new run with a fresh snapshot', async () => {
    const [pubPort, snapPort] = [await freePort(), await freePort()];
    const pub = `tcp://127.0.0.1:${pubPort}`;
    const snapshot = `tcp://127.0.0.1:${snapPort}`;
    const first = await hub(['--snapshot', snapshot], { pub });
    const c = client({ endpoint: pub, snapshotEndpoint: snapshot });
    const events = recordEvents(c);
    const got: Tick[] = [];
    await c.subscribe(['*.SHFE', 'SR701.CZCE'], (t) => got.push(t)).ready;
    await waitFor('ticks of the first run', () => got.filter((t) => t.run_id === first.ready.runId).length > 50, 20_000);
    await first.stop();
    hubs = [];
    const second = await hub(['--snapshot', snapshot], { pub, dataDir: first.dataDir });
    expect(second.ready.runId).not.toBe(first.ready.runId);
    await waitFor('the fresh snapshot of the new run', () => ofType(events, 'snapshot').some((e) => e.reason === 'restart'), 20_000);
    await waitFor('ticks of the new run', () => got.filter((t) => t.run_id === second.ready.runId).length > 50, 20_000);
    expect(ofType(events, 'hub_restart')).toEqual([{ type: 'hub_restart', previousRunId: first.ready.runId, runId: second.ready.runId }]);
    expect(c.hubRunId).toBe(second.ready.runId);
    const cut = got.findIndex((t) => t.run_id === second.ready.runId);
    expect(got.slice(cut).every((t) => t.run_id === second.ready.runId)).toBe(true);
    // The new run per instrument: its snapshot state (or its first tick), then contiguous.
    checkStream(got.slice(cut));
    expect(got.slice(cut).every((t) => t.exchange === 'SHFE' || t.symbol === 'SR701')).toBe(true);
    expect(ofType(events, 'gap')).toEqual([]);
  });

  it('a slow consumer is never "hub down"; a SIGKILLed hub is, once the backlog is drained', async () => {
    const h = await hub();
    const c = client({ endpoint: h.ready.pub });
    const events = recordEvents(c);
    const lags: number[] = [];
    let lastDelivered = 0;
    let delivered = 0;
    let killedAt = Infinity;
    let afterKill = 0;
    // A strategy that spends 4 ms per tick: slower than the feed (about 400 ticks/s here).
    c.subscribe('*', (t) => {
      burn(4);
      delivered++;
      lastDelivered = performance.now();
      if (lastDelivered > killedAt) afterKill++;
      lags.push(Date.now() * 1000 - t.hub_pub_ts);
    });
    await waitFor('ticks', () => delivered > 50, 20_000).catch((err: Error) => { throw new Error(`${err.message}: ${JSON.stringify(c.stats())}\n${h.output().slice(-2000)}`); });
    await waitFor('a backlog of more than staleAfterMs', () => (lags.at(-1) ?? 0) > 3_000_000, 30_000);
    expect(ofType(events, 'hub_down')).toEqual([]);
    const pids = h.childPids();
    h.proc.kill('SIGKILL');
    killedAt = performance.now();
    await waitFor('hub_down', () => ofType(events, 'hub_down').length > 0, 60_000, 20);
    const downAt = performance.now();
    for (const pid of pids) await waitFor(`gateway ${pid} gone`, () => !alive(pid), 5000);
    hubs = [];
    // The backlog was worked through after the kill, and only then (and 2 s later) was the hub down.
    expect(afterKill).toBeGreaterThan(0);
    expect(downAt).toBeGreaterThan(lastDelivered);
    expect(ofType(events, 'hub_down')[0]!.silentMs).toBeGreaterThanOrEqual(2000);
    expect(downAt - lastDelivered).toBeGreaterThanOrEqual(1900);
    console.log(JSON.stringify({ e2e: 'client-liveness', max_lag_ms: Math.round(Math.max(...lags) / 1000), delivered_after_kill: afterKill, down_after_last_ms: Math.round(downAt - lastDelivered), down_after_kill_ms: Math.round(downAt - killedAt) }));
  });

  it('bounded queues: conflate keeps the latest state per instrument; error closes the subscription with a typed error', async () => {
    const h = await hub();
    const c = client({ endpoint: h.ready.pub, snapshotEndpoint: h.ready.snapshot });
    const events = recordEvents(c);
    const conflating = c.subscribe('*', { maxQueue: 50, overflow: 'conflate' });
    const strict = c.subscribe('*', { maxQueue: 50, overflow: 'error' });
    const last = new Map<string, Tick>();
    const slow = (async () => {
      for await (const t of conflating) {
        const p = last.get(vtOf(t));
        if (p) expect(t.iseq, vtOf(t)).toBeGreaterThan(p.iseq);
        last.set(vtOf(t), t);
        await sleep(20);
        if (conflating.conflated > 200) break;
      }
    })();
    const strictResult = (async () => {
      try {
        for await (const _ of strict) await sleep(20);
        return null;
      } catch (e) {
        return e;
      }
    })();
    const err = await strictResult;
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe('MDH_ERR_CLIENT_QUEUE_OVERFLOW');
    expect(ofType(events, 'overflow')).toHaveLength(1);
    await slow;
    expect(conflating.closed).toBe(true); // break closed it
    expect(ofType(events, 'conflated').length).toBeGreaterThan(3);
    // Conflated, never reordered: per instrument every tick it was handed was newer than the one before
    // (checked in the loop), across many instruments.
    expect(last.size).toBeGreaterThan(10);
  });

  it('for await ends on an AbortSignal; subscriptions come and go at run time (exact, product, exchange)', async () => {
    const h = await hub();
    const ac = new AbortController();
    const c = client({ endpoint: h.ready.pub, snapshotEndpoint: h.ready.snapshot, signal: ac.signal });
    // Run-time: an exact instrument, then a product pattern, then one closed.
    const rb: Tick[] = [];
    const rbSub = c.subscribe('rb2701.SHFE', (t) => rb.push(t));
    await rbSub.ready;
    await waitFor('rb ticks', () => rb.length > 3, 20_000);
    const corn: Tick[] = [];
    const cornSub = c.subscribe('c*.DCE', (t) => corn.push(t));
    await cornSub.ready;
    await waitFor('corn ticks', () => corn.length > 5, 20_000);
    expect(new Set(corn.map((t) => t.symbol.replace(/\d.*$/, '')))).toEqual(new Set(['c']));
    checkStream(corn);
    await rbSub.close();
    const n = rb.length;
    await sleep(1500);
    expect(rb.length).toBe(n);
    // for await with a signal: ends cleanly after what we wanted.
    const stop = new AbortController();
    const got: Tick[] = [];
    for await (const t of c.subscribe('*.SHFE', { signal: stop.signal })) {
      got.push(t);
      if (got.length === 20) stop.abort();
    }
    expect(got).toHaveLength(20);
    expect(got.every((t) => t.exchange === 'SHFE')).toBe(true);
    // Events as an iterator; the client's own signal closes everything.
    const kinds: string[] = [];
    const evLoop = (async () => {
      for await (const e of c.events({ types: ['heartbeat'] })) {
        kinds.push(e.type);
        if (kinds.length === 2) ac.abort();
      }
    })();
    await evLoop;
    expect(kinds).toEqual(['heartbeat', 'heartbeat']);
    await waitFor('subscriptions closed with the client', () => cornSub.closed, 2000);
  });

  it('takes the batch stream by itself for * and *.EXCH: the same ticks, in the same order, as the per-tick topics, in far fewer messages', async () => {
    const h = await hub();
    const batched = client({ endpoint: h.ready.pub });
    const batchedEvents = recordEvents(batched);
    const perTick = client({ endpoint: h.ready.pub, batch: 'off' });
    const a: Tick[] = [];
    const aShfe: Tick[] = [];
    const b: Tick[] = [];
    batched.subscribe('*', (t) => a.push(t));
    const shfeClient = client({ endpoint: h.ready.pub });
    shfeClient.subscribe('*.SHFE', (t) => aShfe.push(t));
    perTick.subscribe('*', (t) => b.push(t));
    await waitFor('heartbeats', () => batched.lastHeartbeat !== null && shfeClient.lastHeartbeat !== null, 20_000);
    const features = batched.lastHeartbeat!.features;
    expect(features, `the hub does not announce the batch stream in its heartbeat (features: ${JSON.stringify(features)}): the data plane's wire v1.1 is missing`).toContain('batch');
    await waitFor('the batch stream chosen', () => batched.batchStream === true && shfeClient.batchStream === true, 5000);
    expect(perTick.batchStream).toBe(false);
    await waitFor('ticks', () => a.length > 0 && b.length > 0, 20_000);
    await sleep(8000);
    // One window both saw entirely: from the first seq both have to the last.
    const lo = Math.max(a[0]!.seq, b[0]!.seq);
    const hi = Math.min(a.at(-1)!.seq, b.at(-1)!.seq);
    const wa = a.filter((t) => t.seq >= lo && t.seq <= hi);
    const wb = b.filter((t) => t.seq >= lo && t.seq <= hi);
    expect(wa.length, `window ${lo}..${hi}: batched ${a.length}, per-tick ${b.length}`).toBeGreaterThan(1000);
    expect(wa.map((t) => `${t.seq}:${stateKey(t)}`)).toEqual(wb.map((t) => `${t.seq}:${stateKey(t)}`));
    const shfe = aShfe.filter((t) => t.seq >= lo && t.seq <= hi);
    expect(shfe.map((t) => t.seq)).toEqual(wb.filter((t) => t.exchange === 'SHFE').map((t) => t.seq));
    const sa = batched.stats();
    const sb = perTick.stats();
    expect(sa.batches).toBeGreaterThan(0);
    expect(sa.messages).toBeLessThan(sb.messages / 2);
    expect(ofType(batchedEvents, 'gap')).toEqual([]);
    expect(ofType(batchedEvents, 'stream')).toEqual([{ type: 'stream', batch: true }]);
    console.log(JSON.stringify({ e2e: 'client-batch', ticks: wa.length, messages_batched: sa.messages, messages_per_tick: sb.messages, batches: sa.batches, latency_batched: sa.latency.hub_to_client_us, latency_per_tick: sb.latency.hub_to_client_us }));
  });
});
