/**
 * Per-instrument data state and replaced states, in the data plane with real sockets: an instrument is
 * `suspect` when every copy since the last accepted one was rejected, `stale` when no healthy source
 * feeds its group inside its session (never at a break), and `ok` again when that ends; each change is an
 * `instrument_state` event and the snapshot reply carries the states. A priority takeover announces the
 * instruments whose states it replaced (`states_replaced`).
 */
import * as zmq from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import type { MarketTick, StatusEvent } from '@mdhub/protocol';
import { decodeEvent, emptyMarketTick, encodeBatch, encodeEvent } from '@mdhub/protocol';
import { DataPlane } from '../../src/dataplane/dataplane.js';
import type { DataPlaneOptions, LinkCounters } from '../../src/dataplane/dataplane.js';
import { simulatedClock } from '../../src/market/index.js';

const IN_SESSION = Date.parse('2026-11-25T09:40:00+08:00');
const AT_NOON = Date.parse('2026-11-25T12:00:00+08:00');
let dp: DataPlane | null = null;
afterEach(async () => {
  await dp?.close();
  dp = null;
});

function tick(symbol: string, dt: number, volume: number, src: string, price = 3100): MarketTick {
  return {
    ...emptyMarketTick(symbol, 'SHFE'), datetime: dt, trading_day: '20261125', volume, last_price: price, bid_price_1: price - 1,
    ask_price_1: price, bid_volume_1: 3, ask_volume_1: 4, localtime: dt + 3, gateway_name: src,
  };
}

const counters = (): LinkCounters => ({ batches: 0, handlerErrors: 0, badBatches: 0, badTicks: 0, wrongRun: 0, lastBatchSeq: 0, gaps: 0 });

async function plane(at: number, extra: Partial<DataPlaneOptions> = {}): Promise<{ d: DataPlane; events: StatusEvent[]; feed: (src: string, ticks: MarketTick[]) => void }> {
  const events: StatusEvent[] = [];
  const d = dp = new DataPlane({
    hubId: 't', runId: 'run', clock: simulatedClock({ anchorMs: at }), pubEndpoint: 'tcp://127.0.0.1:*', snapshotEndpoint: 'tcp://127.0.0.1:*',
    linkTransport: 'tcp', groups: [], onStatus: (e) => events.push(e), ...extra,
  });
  await d.start();
  const links = new Map<string, LinkCounters>();
  let seq = 0;
  const feed = (src: string, ticks: MarketTick[]): void => {
    if (!links.has(src)) links.set(src, counters());
    d.handleBatch(src, encodeBatch({ runId: 'run', gatewayId: src, batchSeq: ++seq, sentNs: 0 }, ticks), links.get(src)!);
  };
  return { d, events, feed };
}

const states = (events: StatusEvent[]): Array<[unknown, unknown]> => events.filter((e) => e.kind === 'instrument_state').map((e) => [e['vt_symbol'], e['state']]);

describe('per-instrument data state', () => {
  it('suspect when every recent copy from every source is rejected; ok at the next accepted copy', async () => {
    const { d, events, feed } = await plane(IN_SESSION, { check: (t) => (t.last_price > 9000 ? { ok: false, rule: 'price_band', reason: 'out of band' } : { ok: true }) });
    d.setHealth('a', true);
    d.setHealth('b', true);
    feed('a', [tick('rb2701', IN_SESSION - 1000, 10, 'a')]);
    feed('a', [tick('rb2701', IN_SESSION - 500, 11, 'a', 9999)]);
    feed('b', [tick('rb2701', IN_SESSION - 500, 11, 'b', 9999)]);
    expect(states(events)).toEqual([]);
    feed('a', [tick('rb2701', IN_SESSION, 12, 'a', 9999)]);
    expect(states(events)).toEqual([['rb2701.SHFE', 'suspect']]);
    expect(events.find((e) => e.kind === 'instrument_state')!['reason']).toMatch(/3 copies in a row rejected by cleansing \(price_band\)/);
    expect(d.stats().instrumentStates).toEqual({ ok: 0, stale: 0, suspect: 1 });
    feed('b', [tick('rb2701', IN_SESSION + 500, 13, 'b')]);
    expect(states(events)).toEqual([['rb2701.SHFE', 'suspect'], ['rb2701.SHFE', 'ok']]);
  });

  it('one source rejected while another is accepted is not suspect', async () => {
    const { d, events, feed } = await plane(IN_SESSION, { check: (t) => (t.gateway_name === 'a' ? { ok: false, rule: 'x', reason: 'x' } : { ok: true }) });
    d.setHealth('a', true);
    d.setHealth('b', true);
    for (let i = 0; i < 10; i++) {
      feed('a', [tick('rb2701', IN_SESSION + i * 500, 10 + i, 'a')]);
      feed('b', [tick('rb2701', IN_SESSION + i * 500, 10 + i, 'b')]);
    }
    expect(states(events)).toEqual([]);
  });

  it('stale while no healthy source feeds it inside its session, ok when one does; never at a break', async () => {
    const { d, events, feed } = await plane(IN_SESSION);
    d.setHealth('a', true);
    feed('a', [tick('rb2701', IN_SESSION - 500, 10, 'a')]);
    d.setHealth('a', false);
    expect(states(events)).toEqual([['rb2701.SHFE', 'stale']]);
    d.setHealth('a', true);
    expect(states(events)).toEqual([['rb2701.SHFE', 'stale'], ['rb2701.SHFE', 'ok']]);

    await dp!.close();
    const noon = await plane(AT_NOON);
    noon.d.setHealth('a', true);
    noon.feed('a', [tick('rb2701', Date.parse('2026-11-25T11:29:59.500+08:00'), 10, 'a')]);
    noon.d.setHealth('a', false);
    expect(states(noon.events)).toEqual([]);
  });

  it('the snapshot reply carries each instrument\'s state', async () => {
    const { d, feed } = await plane(IN_SESSION, { groups: [{ name: 'rb', policy: 'race', instruments: ['rb*.SHFE'], sources: ['a'] }] });
    d.setHealth('a', true);
    d.setHealth('b', true);
    feed('a', [tick('rb2701', IN_SESSION - 500, 10, 'a')]);
    feed('b', [tick('cu2701', IN_SESSION - 500, 10, 'b')]);
    d.setHealth('a', false); // the rb group has no healthy source; cu's group (every source) still has b
    const dealer = new zmq.Dealer({ linger: 0, receiveTimeout: 3000 });
    try {
      dealer.connect(d.endpoints.snapshot);
      await dealer.send(encodeEvent({ op: 'last', instruments: ['rb2701.SHFE', 'cu2701.SHFE', 'zz9999.SHFE'] }));
      const [reply] = await dealer.receive();
      const r = decodeEvent<{ ok: boolean; states: Record<string, string>; unknown: string[] }>(reply!);
      expect(r.states).toEqual({ 'rb2701.SHFE': 'stale', 'cu2701.SHFE': 'ok' });
      expect(r.unknown).toEqual(['zz9999.SHFE']);
    } finally {
      dealer.close();
    }
  });
});

describe('priority takeover', () => {
  it('announces the instruments whose states the new feeder replaced', async () => {
    const { d, events, feed } = await plane(IN_SESSION, { groups: [{ name: 'p', policy: 'priority', instruments: ['all'], sources: ['a', 'b'] }] });
    d.setHealth('a', true);
    d.setHealth('b', true);
    feed('a', [tick('rb2701', IN_SESSION - 1000, 10, 'a'), tick('cu2701', IN_SESSION - 1000, 10, 'a')]);
    // b is ahead on rb only (a froze); at takeover rb's standby state is published in place of what a missed
    feed('b', [tick('rb2701', IN_SESSION - 500, 12, 'b'), tick('cu2701', IN_SESSION - 1000, 10, 'b')]);
    d.setHealth('a', false);
    const ev = events.filter((e) => e.kind === 'states_replaced');
    expect(ev).toHaveLength(1);
    expect(ev[0]).toMatchObject({ group: 'p', from: 'a', to: 'b', instruments: ['rb2701.SHFE'], count: 1 });
    expect(d.stats()).toMatchObject({ takeovers: 1, statesReplaced: 1 });
  });
});
