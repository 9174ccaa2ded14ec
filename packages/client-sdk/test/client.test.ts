import * as zmq from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import type { Tick } from '@mdhub/protocol';
import { HEARTBEAT_TOPIC, TickEncoder, emptyMarketTick, encodeEvent, tickTopic } from '@mdhub/protocol';
import type { ClientEvent, MdhubClient } from '../src/index.js';
import { connect } from '../src/index.js';

/**
 * @mdhub/client against a real ZeroMQ PUB socket that this test drives by hand: the topic-frame matching,
 * per-instrument gap detection and bad-message handling of the receive loop, without a hub.
 */

const RUN = '00000000-0000-4000-8000-000000000001';
const enc = new TickEncoder();

function tick(symbol: string, exchange: Tick['exchange'], iseq: number, runId = RUN): Tick {
  return {
    ...emptyMarketTick(symbol, exchange), datetime: 1_764_034_200_000 + iseq * 500, trading_day: '20251125', name: symbol,
    localtime: 1_764_034_200_001, gateway_name: 'g', seq: iseq, iseq, source: 'g', gw_recv_ts: 1, hub_recv_ts: 2, hub_pub_ts: 3, run_id: runId,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let pub: zmq.Publisher | null = null;
let client: MdhubClient | null = null;
afterEach(async () => {
  await client?.close();
  pub?.close();
  client = null;
  pub = null;
});

/** A PUB socket and a connected client; resolves once the client's subscriptions reach the publisher. */
async function setup(patterns: string[][]): Promise<{ send: (t: Tick) => void; got: Tick[][]; events: ClientEvent[]; raw: (topic: string, payload: Buffer) => void }> {
  pub = new zmq.Publisher({ linger: 0, sendTimeout: 0 });
  await pub.bind('tcp://127.0.0.1:*');
  client = connect({ endpoint: pub.lastEndpoint! });
  const events: ClientEvent[] = [];
  client.on('event', (e: ClientEvent) => events.push(e));
  const got = patterns.map(() => [] as Tick[]);
  patterns.forEach((p, i) => client!.subscribe(p, (t) => got[i]!.push(t)));
  const p = pub;
  // Heartbeats until the client has seen one: the client sends its heartbeat subscription first and the
  // patterns right after, so by the time a heartbeat arrives the patterns have reached the publisher too.
  for (let i = 0; i < 200 && client.lastHeartbeat === null; i++) {
    await p.send([HEARTBEAT_TOPIC, encodeEvent({ hub_id: 'h', run_id: RUN, seq: 0, ts: Date.now(), market_ts: Date.now(), simulated: true, v: 1 })]);
    await sleep(10);
  }
  expect(client.lastHeartbeat).not.toBeNull();
  return {
    send: (t) => void p.send([tickTopic(t.exchange, t.symbol), enc.encode(t)]),
    raw: (topic, payload) => void p.send([topic, payload]),
    got,
    events,
  };
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await sleep(10);
  expect(cond(), what).toBe(true);
}

describe('@mdhub/client receive loop', () => {
  it('reads up to 64 KB per syscall (ZMQ_IN_BATCH_SIZE)', async () => {
    await setup([['*']]);
    const sock = (client as unknown as { sock: { getInt32Option(id: number): number } }).sock;
    expect(sock.getInt32Option(101 /* ZMQ_IN_BATCH_SIZE */)).toBe(65_536);
  });

  it('routes each tick to the subscriptions whose pattern matches its topic, and only those', async () => {
    const { send, got } = await setup([['rb2601.SHFE'], ['*.DCE'], ['*'], ['rb260.SHFE']]);
    send(tick('rb2601', 'SHFE', 1));
    send(tick('m2605', 'DCE', 1));
    send(tick('rb26010', 'SHFE', 1)); // must not match rb2601 (the topic's trailing dot)
    await until(() => got[2]!.length === 3, 'the * subscription sees all three');
    expect(got[0]!.map((t) => t.symbol)).toEqual(['rb2601']);
    expect(got[1]!.map((t) => t.symbol)).toEqual(['m2605']);
    expect(got[3]).toEqual([]);
    expect(got[2]![0]).toEqual(tick('rb2601', 'SHFE', 1));
  });

  it('reports a gap per instrument (iseq), not across instruments, and starts afresh on a new run', async () => {
    const { send, got, events } = await setup([['*']]);
    for (const i of [1, 2, 3]) send(tick('rb2601', 'SHFE', i));
    for (const i of [1, 2]) send(tick('rb2601', 'DCE', i)); // same symbol, other exchange: its own sequence
    send(tick('rb2601', 'SHFE', 6)); // 4 and 5 missing
    send(tick('rb2601', 'DCE', 3));
    // The hub restarted (new run id): the client forgets the old run's iseq, so 9 after the old run's 6 is
    // the new run's first tick here, not a gap of two.
    send(tick('rb2601', 'SHFE', 9, '00000000-0000-4000-8000-000000000002'));
    send(tick('rb2601', 'SHFE', 10, '00000000-0000-4000-8000-000000000002'));
    await until(() => got[0]!.length === 9, 'all ticks delivered');
    const gaps = events.filter((e) => e.type === 'gap');
    expect(gaps).toEqual([{ type: 'gap', instrument: 'rb2601.SHFE', expected: 4, got: 6 }]);
    expect(events.filter((e) => e.type === 'hub_restart')).toHaveLength(1);
  });

  it('turns an undecodable tick payload into a bad_message event and keeps receiving', async () => {
    const { send, raw, got, events } = await setup([['*']]);
    raw('tick.SHFE.rb2601.', Buffer.from([0xc1, 0x00, 0x01]));
    send(tick('rb2601', 'SHFE', 1));
    await until(() => got[0]!.length === 1, 'the good tick after the bad one arrives');
    const bad = events.filter((e) => e.type === 'bad_message');
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ type: 'bad_message', topic: 'tick.SHFE.rb2601.' });
  });
});
