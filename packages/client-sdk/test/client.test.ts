/**
 * @mdhub/client against a hub this test drives by hand (test/fake-hub.ts: real XPUB and ROUTER sockets):
 * routing by pattern, gaps, joining with a snapshot, recovery, restarts, the batch stream's automatic
 * choice, run-time subscriptions, for-await and AbortSignal, the bounded queue's policies, events and
 * pause/resume.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Tick } from '@mdhub/protocol';
import type { ClientEvent, ClientOptions, MdhubClient } from '../src/index.js';
import { ClientError, connect } from '../src/index.js';
import { FakeHub, sleep, until } from './fake-hub.js';

let hub: FakeHub | null = null;
let client: MdhubClient | null = null;
afterEach(async () => {
  await client?.close();
  hub?.close();
  client = null;
  hub = null;
});

interface Setup {
  hub: FakeHub;
  client: MdhubClient;
  events: ClientEvent[];
}

async function setup(opts: Partial<ClientOptions> & { batch?: 'auto' | 'off'; hubBatch?: boolean; snapshots?: boolean } = {}): Promise<Setup> {
  const { hubBatch, snapshots, ...rest } = opts;
  hub = await FakeHub.start({ batch: hubBatch ?? false });
  client = connect({ endpoint: hub.endpoint, ...(snapshots ? { snapshotEndpoint: hub.snapshotEndpoint } : {}), ...rest });
  const events: ClientEvent[] = [];
  client.on('event', (e) => events.push(e));
  return { hub, client, events };
}

const names = (ticks: Tick[]): string[] => ticks.map((t) => `${t.symbol}#${t.iseq}`);
const ofType = <T extends ClientEvent['type']>(events: ClientEvent[], type: T): Array<Extract<ClientEvent, { type: T }>> =>
  events.filter((e): e is Extract<ClientEvent, { type: T }> => e.type === type);

describe('@mdhub/client receive loop', () => {
  it('reads up to 64 KB per syscall (ZMQ_IN_BATCH_SIZE)', async () => {
    const { client: c } = await setup();
    const sock = (c as unknown as { sock: { getInt32Option(id: number): number } }).sock;
    expect(sock.getInt32Option(101 /* ZMQ_IN_BATCH_SIZE */)).toBe(65_536);
  });

  it('routes each tick to the subscriptions whose pattern matches it, and only those (c*.DCE is never cs)', async () => {
    const { hub: h, client: c } = await setup({ batch: 'off' });
    const got = [['rb2601.SHFE'], ['*.DCE'], ['*'], ['rb260.SHFE'], ['c*.DCE']].map((p) => {
      const ticks: Tick[] = [];
      c.subscribe(p, (t) => ticks.push(t));
      return ticks;
    });
    for (const t of ['tick.SHFE.rb2601.', 'tick.DCE.', 'tick.', 'tick.SHFE.rb260.', 'tick.DCE.c']) await h.subscribed(t);
    h.tick('rb2601', 'SHFE');
    h.tick('m2605', 'DCE');
    h.tick('rb26010', 'SHFE'); // must not match rb2601 (the topic's trailing dot)
    h.tick('cs2605', 'DCE'); // corn starch: not c*
    h.tick('c2605', 'DCE');
    await until(() => got[2]!.length === 5, 'the * subscription sees all five');
    expect(names(got[0]!)).toEqual(['rb2601#1']);
    expect(names(got[1]!)).toEqual(['m2605#1', 'cs2605#1', 'c2605#1']);
    expect(got[3]).toEqual([]);
    expect(names(got[4]!)).toEqual(['c2605#1']);
    expect(got[2]![0]).toEqual(h.last.get('rb2601.SHFE'));
  });

  it('without a snapshot endpoint: a gap per instrument (iseq) is reported, not across instruments, and a new run starts afresh', async () => {
    const { hub: h, client: c, events } = await setup({ batch: 'off' });
    const got: Tick[] = [];
    c.subscribe('*.SHFE', (t) => got.push(t));
    await h.subscribed('tick.SHFE.');
    for (let i = 0; i < 3; i++) h.tick('rb2601', 'SHFE');
    h.tick('cu2601', 'SHFE');
    h.lose('rb2601', 'SHFE');
    h.lose('rb2601', 'SHFE');
    h.tick('rb2601', 'SHFE');
    h.tick('cu2601', 'SHFE');
    h.restart();
    h.tick('rb2601', 'SHFE');
    h.tick('rb2601', 'SHFE');
    await until(() => got.length === 8, 'all ticks delivered');
    expect(ofType(events, 'gap')).toEqual([{ type: 'gap', instrument: 'rb2601.SHFE', expected: 4, got: 6, reason: 'iseq', recovering: false }]);
    expect(ofType(events, 'hub_restart')).toHaveLength(1);
    expect(names(got.slice(-2))).toEqual(['rb2601#1', 'rb2601#2']);
  });

  it('turns an undecodable payload into a bad_message event and keeps receiving', async () => {
    const { hub: h, client: c, events } = await setup({ batch: 'off' });
    const got: Tick[] = [];
    c.subscribe('*', (t) => got.push(t));
    await h.subscribed('tick.');
    h.raw('tick.SHFE.rb2601.', Buffer.from([0xc1, 0x00, 0x01]));
    h.tick('rb2601', 'SHFE');
    await until(() => got.length === 1, 'the good tick after the bad one');
    expect(ofType(events, 'bad_message')).toMatchObject([{ type: 'bad_message', topic: 'tick.SHFE.rb2601.' }]);
  });
});

describe('joining with a snapshot, recovering gaps', () => {
  it('a subscription starts with each instrument snapshot state, then the live ticks after it: no hole, no duplicate', async () => {
    hub = await FakeHub.start();
    const h = hub;
    for (let i = 0; i < 5; i++) for (const s of ['rb2601', 'cu2601', 'au2606']) h.tick(s, 'SHFE'); // before the client exists
    h.snapshotDelayMs = 100; // live ticks arrive while the reply is on its way: they are buffered
    client = connect({ endpoint: h.endpoint, snapshotEndpoint: h.snapshotEndpoint, batch: 'off' });
    const events: ClientEvent[] = [];
    client.on('event', (e) => events.push(e));
    const got: Tick[] = [];
    const sub = client.subscribe('*.SHFE', (t) => got.push(t));
    await until(() => h.requests.length === 1, 'the join request');
    for (let i = 0; i < 3; i++) h.tick('rb2601', 'SHFE'); // published after the snapshot: 6, 7, 8
    await sub.ready;
    h.tick('cu2601', 'SHFE');
    await until(() => got.length === 7, 'snapshot states and live ticks');
    expect(names(got)).toEqual(['rb2601#5', 'cu2601#5', 'au2606#5', 'rb2601#6', 'rb2601#7', 'rb2601#8', 'cu2601#6']);
    expect(h.requests[0]).toMatchObject({ op: 'last' });
    expect(h.requests[0]!['instruments']).toBeUndefined(); // a wide pattern asks for everything, filtered here
    expect(ofType(events, 'snapshot')).toMatchObject([{ reason: 'join', instruments: 3 }]);
    expect(ofType(events, 'gap')).toEqual([]);
  });

  it('names the instruments of exact subscriptions; one not published yet starts at iseq 1', async () => {
    const { hub: h, client: c } = await setup({ snapshots: true, batch: 'off' });
    h.tick('rb2601', 'SHFE');
    const got: Tick[] = [];
    const sub = c.subscribe(['rb2601.SHFE', 'cu2601.SHFE'], (t) => got.push(t));
    await sub.ready;
    expect(h.requests[0]!['instruments']).toEqual(['rb2601.SHFE', 'cu2601.SHFE']);
    h.tick('cu2601', 'SHFE');
    h.tick('rb2601', 'SHFE');
    await until(() => got.length === 3, 'three ticks');
    expect(names(got)).toEqual(['rb2601#1', 'cu2601#1', 'rb2601#2']);
  });

  it('a subscription made at run time on an instrument already held starts from the client latest tick', async () => {
    const { hub: h, client: c } = await setup({ snapshots: true, batch: 'off' });
    const all: Tick[] = [];
    await c.subscribe('*', (t) => all.push(t)).ready;
    for (let i = 0; i < 3; i++) h.tick('rb2601', 'SHFE');
    await until(() => all.length === 3, 'three ticks');
    const one: Tick[] = [];
    const sub = c.subscribe('rb2601.SHFE', (t) => one.push(t));
    h.tick('rb2601', 'SHFE');
    await sub.ready;
    h.tick('rb2601', 'SHFE');
    await until(() => all.length === 5 && one.length >= 2, 'live ticks to both');
    expect(names(all)).toEqual(['rb2601#1', 'rb2601#2', 'rb2601#3', 'rb2601#4', 'rb2601#5']);
    expect(names(one)).toEqual(['rb2601#4', 'rb2601#5']);
  });

  it('recovers a gap: a typed gap event, a re-fetch of that instrument, its snapshot state, then live ticks', async () => {
    const { hub: h, client: c, events } = await setup({ snapshots: true, batch: 'off' });
    const got: Tick[] = [];
    await c.subscribe('rb2601.SHFE', (t) => got.push(t)).ready;
    h.tick('rb2601', 'SHFE');
    h.lose('rb2601', 'SHFE');
    h.lose('rb2601', 'SHFE');
    h.snapshotDelayMs = 50;
    h.tick('rb2601', 'SHFE');
    await until(() => ofType(events, 'snapshot').some((e) => e.reason === 'gap'), 'the recovery');
    h.tick('rb2601', 'SHFE');
    await until(() => got.length === 3, 'three ticks');
    expect(ofType(events, 'gap')).toEqual([{ type: 'gap', instrument: 'rb2601.SHFE', expected: 2, got: 4, reason: 'iseq', recovering: true }]);
    expect(h.requests.at(-1)).toMatchObject({ op: 'last', instruments: ['rb2601.SHFE'] });
    expect(names(got)).toEqual(['rb2601#1', 'rb2601#4', 'rb2601#5']);
    expect(c.latest('rb2601.SHFE')).toEqual(h.last.get('rb2601.SHFE'));
    expect(c.stats().recovered).toBe(1);
  });

  it('a jump in the hub-wide seq of a * subscription is a gap at once; a snapshot of everything brings back an instrument that never ticks again', async () => {
    const { hub: h, client: c, events } = await setup({ snapshots: true, batch: 'off' });
    const got: Tick[] = [];
    await c.subscribe('*', (t) => got.push(t)).ready;
    await until(() => c.stats().gaps === 0 && (c as unknown as { router: { seqChecking: boolean } }).router.seqChecking, 'seq checking armed');
    h.tick('rb2601', 'SHFE');
    h.tick('cu2601', 'SHFE');
    h.lose('cu2601', 'SHFE'); // cu will not tick again: only seq can tell
    h.tick('rb2601', 'SHFE');
    await until(() => ofType(events, 'snapshot').some((e) => e.reason === 'gap'), 'the recovery');
    await until(() => c.latest('cu2601.SHFE')?.iseq === 2, 'cu brought back to its latest state');
    expect(ofType(events, 'gap')).toEqual([
      { type: 'gap', instrument: '*', reason: 'seq', expected: 3, got: 4, recovering: true },
      { type: 'gap', instrument: 'cu2601.SHFE', reason: 'iseq', expected: 2, got: 2, recovering: true },
    ]);
    // Nothing waited for the snapshot: rb's next tick came at once, cu's lost state when the snapshot was merged.
    expect(names(got)).toEqual(['rb2601#1', 'cu2601#1', 'rb2601#2', 'cu2601#2']);
  });

  it('states_replaced naming a held instrument is a gap, re-fetched; instrument_state reaches the strategy typed', async () => {
    const { hub: h, client: c, events } = await setup({ snapshots: true, batch: 'off' });
    h.tick('rb2601', 'SHFE');
    h.states.set('rb2601.SHFE', 'stale');
    await c.subscribe('rb2601.SHFE', () => {}).ready;
    expect(c.instrumentState('rb2601.SHFE')).toBe('stale');
    h.states.delete('rb2601.SHFE'); // ok from now on
    h.status('instrument_state', { vt_symbol: 'rb2601.SHFE', state: 'ok', reason: 'fed again' });
    h.status('instrument_state', { vt_symbol: 'cu2601.SHFE', state: 'stale', reason: 'not ours' });
    h.status('states_replaced', { group: 'g', from: 'a', to: 'b', instruments: ['rb2601.SHFE', 'zz2601.SHFE'], count: 2 });
    await until(() => ofType(events, 'instrument_state').length === 2 && h.requests.length === 2, 'events and the re-fetch');
    await until(() => ofType(events, 'snapshot').length === 2, 'the re-fetch merged');
    expect(ofType(events, 'gap')).toEqual([{ type: 'gap', instrument: 'rb2601.SHFE', expected: 2, got: 2, reason: 'states_replaced', recovering: true }]);
    expect(ofType(events, 'instrument_state')).toEqual([
      { type: 'instrument_state', instrument: 'rb2601.SHFE', state: 'stale', previous: null, reason: null, from: 'snapshot' },
      { type: 'instrument_state', instrument: 'rb2601.SHFE', state: 'ok', previous: 'stale', reason: 'fed again', from: 'status' },
    ]);
  });

  it('a hub restart (new run_id): hub_restart, everything held dropped, a fresh snapshot, the new run from its start', async () => {
    const { hub: h, client: c, events } = await setup({ snapshots: true, batch: 'off' });
    const got: Tick[] = [];
    await c.subscribe('*.SHFE', (t) => got.push(t)).ready;
    for (let i = 0; i < 3; i++) h.tick('rb2601', 'SHFE');
    await until(() => got.length === 3, 'first run');
    const first = h.runId;
    h.restart();
    h.tick('cu2601', 'SHFE'); // before the client's fresh snapshot: buffered, then merged
    await until(() => ofType(events, 'snapshot').some((e) => e.reason === 'restart'), 'the fresh snapshot');
    h.tick('rb2601', 'SHFE');
    await until(() => got.length === 5, 'the new run');
    expect(ofType(events, 'hub_restart')).toEqual([{ type: 'hub_restart', previousRunId: first, runId: h.runId }]);
    expect(got.slice(3).map((t) => `${t.run_id === h.runId ? 'new' : 'old'} ${t.symbol}#${t.iseq}`)).toEqual(['new cu2601#1', 'new rb2601#1']);
    expect(ofType(events, 'gap')).toEqual([]);
  });

  it('a snapshot service that does not answer: snapshot_failed, and the live stream is delivered anyway', async () => {
    const { hub: h, client: c, events } = await setup({ snapshots: true, batch: 'off', snapshotTimeoutMs: 100, snapshotAttempts: 2 });
    h.answerSnapshots = false;
    const got: Tick[] = [];
    const sub = c.subscribe('rb2601.SHFE', (t) => got.push(t));
    await h.subscribed('tick.SHFE.rb2601.');
    h.tick('rb2601', 'SHFE');
    h.tick('rb2601', 'SHFE');
    await sub.ready;
    await until(() => got.length === 2, 'live ticks');
    expect(ofType(events, 'snapshot_failed')).toMatchObject([{ reason: 'join', error: { code: 'MDH_ERR_CLIENT_SNAPSHOT_TIMEOUT' } }]);
    expect(h.requests).toHaveLength(2);
  });
});

describe('the batch stream (wire v1.1)', () => {
  it('with the feature: subscribes both streams until the first heartbeat, then drops the per-tick topic of wide patterns; each tick once, in order', async () => {
    const { hub: h, client: c, events } = await setup({ hubBatch: true });
    expect(c.batchStream).toBeNull();
    const all: Tick[] = [];
    const shfe: Tick[] = [];
    const rb: Tick[] = [];
    c.subscribe('*', (t) => all.push(t));
    c.subscribe('*.SHFE', (t) => shfe.push(t));
    c.subscribe('rb2601.SHFE', (t) => rb.push(t));
    await until(() => c.batchStream === true, 'the batch stream chosen');
    await h.subscribed('tick.', false);
    await h.subscribed('tick.SHFE.', false);
    expect([...h.subscriptions].sort()).toEqual(['batch.', 'batch.SHFE.', 'heartbeat', 'status', 'tick.SHFE.rb2601.']);
    expect(h.subscriptionLog).toEqual(expect.arrayContaining(['+tick.', '+batch.', '+tick.SHFE.', '+batch.SHFE.', '-tick.', '-tick.SHFE.']));
    for (let turn = 0; turn < 3; turn++) {
      h.tick('rb2601', 'SHFE');
      h.tick('m2605', 'DCE');
      h.tick('cu2601', 'SHFE');
      h.flush(['DCE', 'SHFE']); // exchanges of one turn in any order
    }
    await until(() => all.length === 9, 'every tick once');
    await sleep(50);
    expect(all).toHaveLength(9);
    expect(names(shfe)).toEqual(['rb2601#1', 'cu2601#1', 'rb2601#2', 'cu2601#2', 'rb2601#3', 'cu2601#3']);
    expect(names(rb)).toEqual(['rb2601#1', 'rb2601#2', 'rb2601#3']);
    expect(c.stats().batches).toBeGreaterThan(0);
    expect(ofType(events, 'stream')).toEqual([{ type: 'stream', batch: true }]);
    expect(ofType(events, 'gap')).toEqual([]);
  });

  it('without the feature: per-tick topics only, the batch topics dropped', async () => {
    const { hub: h, client: c } = await setup({ hubBatch: false });
    c.subscribe(['*.DCE'], () => {});
    await until(() => c.batchStream === false, 'the per-tick stream chosen');
    await h.subscribed('batch.DCE.', false);
    expect([...h.subscriptions].sort()).toEqual(['heartbeat', 'status', 'tick.DCE.']);
  });

  it('a lost batch shows as an iseq jump, and as a seq gap at the next heartbeat for *; both recovered', async () => {
    const { hub: h, client: c, events } = await setup({ hubBatch: true, snapshots: true });
    const got: Tick[] = [];
    await c.subscribe('*', (t) => got.push(t)).ready;
    await h.subscribed('tick.', false);
    await until(() => (c as unknown as { router: { seqChecking: boolean } }).router.seqChecking, 'seq checking armed');
    h.tick('rb2601', 'SHFE');
    h.flush();
    h.tick('rb2601', 'SHFE');
    h.tick('cu2601', 'SHFE');
    h.dropBatches();
    await until(() => ofType(events, 'gap').some((g) => g.reason === 'seq'), 'the seq gap at a heartbeat');
    await until(() => c.latest('cu2601.SHFE')?.iseq === 1 && c.latest('rb2601.SHFE')?.iseq === 2, 'recovered');
    h.tick('rb2601', 'SHFE');
    h.flush();
    await until(() => c.latest('rb2601.SHFE')?.iseq === 3, 'live again');
    expect(ofType(events, 'gap')[0]).toMatchObject({ instrument: '*', reason: 'seq', expected: 2, recovering: true });
    expect(names(got)).toEqual(['rb2601#1', 'rb2601#2', 'cu2601#1', 'rb2601#3']);
  });
});

describe('subscribing, iterating, queues', () => {
  it('for await, ended by an AbortSignal; subscribe and unsubscribe at run time', async () => {
    const { hub: h, client: c } = await setup({ batch: 'off' });
    const ac = new AbortController();
    const sub = c.subscribe('rb2601.SHFE', { signal: ac.signal });
    await h.subscribed('tick.SHFE.rb2601.');
    const got: Tick[] = [];
    const loop = (async () => {
      for await (const t of sub) {
        got.push(t);
        if (got.length === 2) ac.abort();
      }
    })();
    for (let i = 0; i < 5; i++) h.tick('rb2601', 'SHFE');
    await loop;
    expect(names(got)).toEqual(['rb2601#1', 'rb2601#2']);
    expect(sub.closed).toBe(true);
    await h.subscribed('tick.SHFE.rb2601.', false);
    // Already aborted: a closed subscription whose iteration ends at once.
    const done = c.subscribe('cu2601.SHFE', { signal: ac.signal });
    expect((await done[Symbol.asyncIterator]().next()).done).toBe(true);
    // Breaking out of for await closes too.
    const again = c.subscribe('rb2601.SHFE');
    await h.subscribed('tick.SHFE.rb2601.');
    h.tick('rb2601', 'SHFE');
    for await (const t of again) {
      expect(t.iseq).toBe(6);
      break;
    }
    expect(again.closed).toBe(true);
    await h.subscribed('tick.SHFE.rb2601.', false);
  });

  it('conflate: a slow iterator gets the latest state per instrument, the replaced ticks counted and reported', async () => {
    const { hub: h, client: c, events } = await setup({ batch: 'off' });
    const sub = c.subscribe('*.SHFE', { maxQueue: 2, overflow: 'conflate' });
    await h.subscribed('tick.SHFE.');
    for (let i = 0; i < 10; i++) {
      h.tick('rb2601', 'SHFE');
      h.tick('cu2601', 'SHFE');
    }
    await until(() => c.stats().applied === 20, 'all received');
    expect(sub.queued).toBe(2);
    expect(sub.conflated).toBe(18);
    const it = sub[Symbol.asyncIterator]();
    const a = (await it.next()).value as Tick;
    const b = (await it.next()).value as Tick;
    expect([`${a.symbol}#${a.iseq}`, `${b.symbol}#${b.iseq}`]).toEqual(['rb2601#10', 'cu2601#10']);
    expect(a.last_volume).toBe(10); // every replaced tick's volume is in it
    expect(ofType(events, 'conflated').map((e) => e.conflated)).toEqual([1, 2, 4, 8, 16]);
  });

  it('error: a subscription that falls maxQueue behind is closed; the iterator throws the typed error', async () => {
    const { hub: h, client: c, events } = await setup({ batch: 'off' });
    const sub = c.subscribe('*.SHFE', { maxQueue: 3, overflow: 'error' });
    await h.subscribed('tick.SHFE.');
    for (let i = 0; i < 5; i++) h.tick('rb2601', 'SHFE');
    await until(() => sub.closed, 'closed');
    const err = await (async () => {
      try {
        for await (const _ of sub) { /* nothing arrives: the queue is dropped */ }
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ClientError);
    expect((err as ClientError).code).toBe('MDH_ERR_CLIENT_QUEUE_OVERFLOW');
    expect(ofType(events, 'overflow')).toMatchObject([{ patterns: ['*.SHFE'], maxQueue: 3 }]);
    await h.subscribed('tick.SHFE.', false);
  });

  it('an async handler is awaited before the next tick', async () => {
    const { hub: h, client: c } = await setup({ batch: 'off' });
    const seen: string[] = [];
    let running = 0;
    c.subscribe('rb2601.SHFE', async (t) => {
      running++;
      expect(running).toBe(1);
      seen.push(`start ${t.iseq}`);
      await sleep(10);
      seen.push(`end ${t.iseq}`);
      running--;
    });
    await h.subscribed('tick.SHFE.rb2601.');
    for (let i = 0; i < 3; i++) h.tick('rb2601', 'SHFE');
    await until(() => seen.length === 6, 'three handled');
    expect(seen).toEqual(['start 1', 'end 1', 'start 2', 'end 2', 'start 3', 'end 3']);
  });

  it('events as an async iterator, filtered by type, ended by its signal', async () => {
    const { hub: h, client: c } = await setup({ batch: 'off' });
    const ac = new AbortController();
    const kinds: string[] = [];
    const loop = (async () => {
      for await (const e of c.events({ types: ['status'], signal: ac.signal })) {
        if (e.type === 'status') kinds.push(e.status.kind);
        if (kinds.length === 2) ac.abort();
      }
    })();
    await h.subscribed('status');
    h.status('source_state', { source: 'a', state: 'connected' });
    h.status('failover', { group: 'g', from: 'a', to: 'b' });
    h.status('counters', {});
    await loop;
    expect(kinds).toEqual(['source_state', 'failover']);
  });

  it('pause stops reading the socket; resume delivers what waited', async () => {
    const { hub: h, client: c } = await setup({ batch: 'off' });
    const got: Tick[] = [];
    c.subscribe('rb2601.SHFE', (t) => got.push(t));
    await h.subscribed('tick.SHFE.rb2601.');
    c.pause();
    h.heartbeat(); // the loop may be waiting in a receive: one message ends it
    await sleep(50);
    for (let i = 0; i < 3; i++) h.tick('rb2601', 'SHFE');
    await sleep(100);
    expect(got).toEqual([]);
    expect(c.stats().paused).toBe(true);
    c.resume();
    await until(() => got.length === 3, 'delivered after resume');
  });

  it('a strategy that blocks longer than staleAfterMs is not a dead hub', async () => {
    const { hub: h, client: c, events } = await setup({ batch: 'off', staleAfterMs: 100 });
    let handled = 0;
    c.subscribe('rb2601.SHFE', () => {
      const end = performance.now() + 300; // three times staleAfterMs, on the event loop
      while (performance.now() < end) { /* computing */ }
      handled++;
    });
    await h.subscribed('tick.SHFE.rb2601.');
    for (let i = 0; i < 5; i++) h.tick('rb2601', 'SHFE');
    await until(() => handled === 5, 'five slow ticks');
    await sleep(50);
    expect(ofType(events, 'hub_down')).toEqual([]);
  });

  it('a silent hub is down once the socket is drained; the next message brings it up', async () => {
    const { hub: h, client: c, events } = await setup({ batch: 'off', staleAfterMs: 200 });
    await until(() => c.lastHeartbeat !== null, 'a heartbeat');
    h.stopHeartbeats();
    await until(() => c.hubDown, 'down', 3000);
    h.heartbeat();
    await until(() => !c.hubDown, 'up again');
    expect(ofType(events, 'hub_down')).toHaveLength(1);
    expect(ofType(events, 'hub_down')[0]!.silentMs).toBeGreaterThanOrEqual(200);
    expect(ofType(events, 'hub_up')).toHaveLength(1);
  });
});
