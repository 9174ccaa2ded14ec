/**
 * End to end with the CTP and SOPT gateways: a hub configured with `mdhub account add` and
 * `mdhub gateway add` as a user does, with one CTP source (ABI simulator library, CTP 6.7.7) and one
 * SOPT source (the SOPT build) against simulated fronts, plus a gateway-sim source of the same market
 * racing them. The foundation's ground truth holds on what a client receives: every market state of the
 * tape once, nothing invented, seq increasing, iseq contiguous. Then the faults an operator meets: the
 * front going away and coming back (the gateway logs in and re-subscribes by itself, no process restart),
 * a library that crashes inside a callback and one that hangs (the supervisor's hard restart), and a
 * wrong password (a clear failed state, no reconnect storm).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Dealer } from 'zeromq';
import { decodeEvent, encodeEvent } from '@mdhub/protocol';
import { SimFront, frontUniverse, simLibrary, writeSimSettings } from '@mdhub/vendor-sim';
import type { Flavour } from '@mdhub/vendor-sim';
import { SIM_ANCHOR, alive, mdhub, sleep, startHubProcess, waitFor, watchHub, type HubProcess, type Watch } from './helpers.js';
import { MARKET_SEED, compareWithTape } from './tape-check.js';

let hub: HubProcess | null = null;
let watch: Watch | null = null;
const fronts: SimFront[] = [];

afterEach(async () => {
  await watch?.client.close();
  watch = null;
  if (hub) {
    const pids = hub.childPids();
    await hub.stop();
    for (const pid of pids) await waitFor(`gateway ${pid} gone`, () => !alive(pid), 5000);
    hub = null;
  }
  for (const f of fronts.splice(0)) await f.close();
});

const FUTURES = ['SHFE', 'INE', 'DCE', 'CZCE', 'CFFEX', 'GFEX'];

/** A simulated front of `flavour` that waits for the hub's clock, and the reference file a user would supply for its instruments. */
async function front(flavour: Flavour, accounts?: Array<{ brokerId: string; userId: string; password: string }>): Promise<SimFront> {
  const f = await SimFront.start({ flavour, market: { seed: MARKET_SEED, instruments: 300 }, exchanges: flavour === 'sopt' ? ['SSE', 'SZSE'] : FUTURES, ...(accounts ? { accounts } : {}) });
  fronts.push(f);
  return f;
}

/** Configures a CTP or SOPT source through the CLI: an account (password on stdin) and a gateway on the simulator library. */
async function addVendorSource(dataDir: string, o: { id: string; flavour: Flavour; front: SimFront; password?: string; reference: string; config?: Record<string, unknown> }): Promise<void> {
  const sopt = o.flavour === 'sopt';
  const flow = path.join(dataDir, `${o.id}-flow`);
  writeSimSettings(`${flow}/`, { retryMs: 200, reconnectMs: 100 });
  await mdhub(['account', 'add', '--data-dir', dataDir, '--name', `acct-${o.id}`, '--kind', sopt ? 'sopt' : 'ctp', '--broker-id', '9999', '--user-id', 'u1',
    '--fronts', o.front.address, '--password-stdin'], { input: `${o.password ?? 'pw-1'}\n` });
  await mdhub(['gateway', 'add', '--data-dir', dataDir, '--name', o.id, '--plugin', sopt ? '@mdhub/gateway-sopt' : '@mdhub/gateway-ctp', '--account', `acct-${o.id}`,
    '--config', JSON.stringify({ library: simLibrary(o.flavour), flavour: o.flavour, reference_file: o.reference, flow_dir: flow, simulated: true, ...o.config })]);
}

/**
 * The front's instruments as a reference file (CSV), the way a user supplies one; the expiry is made up
 * (the 28th of the contract month). Written before the hub starts: the market is the one at SIM_ANCHOR.
 */
function writeReference(dataDir: string, f: SimFront, name: string): string {
  const file = path.join(dataDir, name);
  const { served } = frontUniverse(f.opts, Date.parse(SIM_ANCHOR));
  fs.writeFileSync(file, `symbol,exchange,name,expiry\n${served.map((i) => `${i.symbol},${i.exchange},"${i.name}",20${i.month}28`).join('\n')}\n`);
  return file;
}

/** Asks the snapshot service for reference data (`instruments`). */
async function instruments(endpoint: string): Promise<Array<Record<string, unknown>>> {
  const d = new Dealer({ receiveTimeout: 5000 });
  d.connect(endpoint);
  try {
    await d.send(['', encodeEvent({ op: 'instruments', id: 1 })]);
    const frames = await d.receive();
    return (decodeEvent<{ instruments: Array<Record<string, unknown>> }>(frames[frames.length - 1]!)).instruments;
  } finally {
    d.close();
  }
}

describe('CTP and SOPT gateways in the hub', () => {
  it('a CTP, a SOPT and a simulated source race: the ground truth holds on what a client receives', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-ctp-e2e-'));
    const ctpFront = await front('ctp-6.7.7');
    const soptFront = await front('sopt');
    await addVendorSource(dataDir, { id: 'ctp-a', flavour: 'ctp-6.7.7', front: ctpFront, reference: writeReference(dataDir, ctpFront, 'futures.csv') });
    await addVendorSource(dataDir, { id: 'sopt-a', flavour: 'sopt', front: soptFront, reference: writeReference(dataDir, soptFront, 'options.csv') });
    await mdhub(['gateway', 'add', '--data-dir', dataDir, '--name', 'sim-a', '--plugin', '@mdhub/gateway-sim', '--config', JSON.stringify({ market: { seed: MARKET_SEED, instruments: 300 } })]);
    const list = await mdhub(['gateway', 'list', '--data-dir', dataDir]);
    expect(list).toMatch(/ctp-a\s.*@mdhub\/gateway-ctp/);
    expect(list).toMatch(/sopt-a\s.*@mdhub\/gateway-sopt/);

    hub = await startHubProcess([], { dataDir });
    expect(hub.ready.simulated).toBe(true); // every source says simulated: the hub runs the shifted market clock
    expect([...hub.ready.sources].sort()).toEqual(['ctp-a', 'sim-a', 'sopt-a']);
    // The fronts run the hub's market time (CLOCK_MONOTONIC is shared by every process on the host).
    ctpFront.serve(hub.ready.clock);
    soptFront.serve(hub.ready.clock);
    watch = watchHub(hub.ready.pub);
    const w = watch;
    const subscribed = (id: string): boolean => w.statuses.some((s) => s['kind'] === 'source_state' && s['source'] === id && s['state'] === 'subscribed');
    await waitFor('every source subscribed', () => subscribed('ctp-a') && subscribed('sopt-a') && subscribed('sim-a'), 30_000);
    const t0 = w.ticks.length;
    await sleep(9000);
    const got = w.ticks.slice(t0);
    const r = compareWithTape(hub, got);
    expect(r.expected).toBeGreaterThan(1000);
    // The vendor sources won races of their exchanges, and their copies of the same states were duplicates.
    const winners = new Map<string, number>();
    for (const t of got) winners.set(t.source, (winners.get(t.source) ?? 0) + 1);
    expect(winners.get('ctp-a') ?? 0).toBeGreaterThan(0);
    expect(winners.get('sopt-a') ?? 0).toBeGreaterThan(0);
    expect(got.filter((t) => t.source === 'sopt-a').every((t) => t.exchange === 'SSE' || t.exchange === 'SZSE')).toBe(true);
    const counters = await waitFor('counters', () => [...w.statuses].reverse().find((s) => s['kind'] === 'counters'), 10_000) as { sources: Record<string, { duplicates: number; wins: number }> };
    expect(counters.sources['ctp-a']!.duplicates + counters.sources['sim-a']!.duplicates).toBeGreaterThan(0);
    // last_volume: what traded since the state published before, whichever source won each.
    const prev = new Map<string, { volume: number; day: string }>();
    let checked = 0;
    for (const t of got) {
      const p = prev.get(`${t.symbol}.${t.exchange}`);
      if (p && p.day === t.trading_day) {
        expect(t.last_volume, `${t.symbol} ${t.seq}`).toBe(t.volume - p.volume);
        checked++;
      }
      prev.set(`${t.symbol}.${t.exchange}`, { volume: t.volume, day: t.trading_day });
    }
    expect(checked).toBeGreaterThan(500);
    // Status: the API version and the trading day the front reported.
    const info = w.statuses.filter((s) => s['kind'] === 'source_info' && s['source'] === 'ctp-a').at(-1)!['info'] as Record<string, unknown>;
    expect(info).toMatchObject({ api_version: expect.stringMatching(/^v6\.7\.7/), flavour: 'ctp-6.7.7', trading_day: ctpFront.tradingDay });
    const status = await mdhub(['status', '--data-dir', dataDir]);
    expect(status).toMatch(/ctp-a\s+subscribed/);
    expect(status).toMatch(/v6\.7\.7/);
    // Reference data: every instrument the vendor sources subscribe, with its expiry, before or after its first tick.
    const ref = await instruments(hub.ready.snapshot);
    const rb = ctpFront.universe.find((i) => i.product.product === 'rb')!;
    expect(ref.find((x) => x['vt_symbol'] === `${rb.symbol}.SHFE`)).toMatchObject({ expiry: `20${rb.month}28`, name: rb.name, multiplier: 10 });
    expect(ref.filter((x) => x['exchange'] === 'SSE' || x['exchange'] === 'SZSE').length).toBe(soptFront.universe.length);
    console.log(JSON.stringify({ e2e: 'ctp-sopt-sim race', ticks: got.length, expected_in_window: r.expected, wins: Object.fromEntries(winners) }));
  });

  it('faults: a front away and back (no restart), a crash and a hang in the library (hard restart), a wrong password (no storm)', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-ctp-faults-'));
    const a = await front('ctp-6.7.11');
    const bad = await front('ctp-6.7.7', [{ brokerId: '9999', userId: 'u1', password: 'the-right-one' }]);
    await addVendorSource(dataDir, { id: 'ctp-a', flavour: 'ctp-6.7.11', front: a, reference: writeReference(dataDir, a, 'a.csv'), config: { watchdog: { silence_ms: 2000 } } });
    await addVendorSource(dataDir, { id: 'ctp-bad', flavour: 'ctp-6.7.7', front: bad, password: 'a-wrong-one', reference: writeReference(dataDir, bad, 'b.csv') });
    await addVendorSource(dataDir, { id: 'ctp-nolib', flavour: 'ctp-6.7.7', front: bad, reference: writeReference(dataDir, bad, 'c.csv'), config: { library: '/nope/libthostmduserapi_se.so' } });
    hub = await startHubProcess([], { dataDir });
    a.serve(hub.ready.clock);
    bad.serve(hub.ready.clock);
    watch = watchHub(hub.ready.pub);
    const w = watch;
    const of = (id: string, kind: string): Array<Record<string, unknown>> => w.statuses.filter((s) => s['source'] === id && s['kind'] === kind);
    const subscribedCount = (): number => of('ctp-a', 'source_state').filter((s) => s['state'] === 'subscribed').length;
    await waitFor('ctp-a subscribed', () => subscribedCount() === 1, 30_000);

    // A library path that does not exist: its named error, not retryable, not restarted.
    await waitFor('ctp-nolib gave up', () => of('ctp-nolib', 'source_exit').some((s) => s['gave_up'] === true && s['failure'] === 'MDH_ERR_CTP_LIBRARY_NOT_FOUND'), 20_000);
    expect(of('ctp-nolib', 'source_failed')[0]).toMatchObject({ code: 'MDH_ERR_CTP_LIBRARY_NOT_FOUND', retryable: false });

    // A wrong password: failed, not retryable, not restarted; the front saw one login attempt.
    await waitFor('ctp-bad gave up', () => of('ctp-bad', 'source_exit').some((s) => s['gave_up'] === true && s['failure'] === 'MDH_ERR_GATEWAY_LOGIN_FAILED'), 20_000);
    expect(of('ctp-bad', 'source_failed')[0]).toMatchObject({ code: 'MDH_ERR_GATEWAY_LOGIN_FAILED', retryable: false });
    expect(of('ctp-bad', 'source_state').some((s) => s['state'] === 'disconnected' && String(s['reason']).startsWith('login refused: 不合法的登录 (error 3)'))).toBe(true);

    // The front goes away and comes back: the reason, then a new login and every instrument again, in the same process.
    const spawned = of('ctp-a', 'source_spawned').length;
    await a.kill();
    await waitFor('disconnected 0x1001', () => of('ctp-a', 'source_state').some((s) => s['state'] === 'disconnected' && String(s['reason']).startsWith('0x1001 network read failure')));
    await sleep(1000);
    await a.revive();
    await waitFor('subscribed again', () => subscribedCount() === 2, 20_000);
    expect(of('ctp-a', 'source_state').at(-1)!['reason']).toMatch(/^logged in again and re-subscribed \d+ instruments$/);
    expect(of('ctp-a', 'source_spawned').length).toBe(spawned);
    expect(a.subscriptions().size).toBe(a.universe.length);
    let before = w.ticks.length;
    await waitFor('ticks after the reconnect', () => w.ticks.length > before + 50, 10_000);

    // A crash inside a library callback (SIGSEGV): the supervisor restarts the process.
    a.fault(3);
    await waitFor('exit by SIGSEGV', () => of('ctp-a', 'source_exit').some((s) => s['signal'] === 'SIGSEGV'), 10_000);
    await waitFor('subscribed after the crash', () => subscribedCount() === 3, 30_000);
    before = w.ticks.length;
    await waitFor('ticks after the crash', () => w.ticks.length > before + 50, 10_000);

    // The library's thread hangs: the gateway's watchdog asks, the supervisor SIGKILLs and restarts.
    a.fault(2);
    const u = await waitFor('unhealthy', () => of('ctp-a', 'source_unhealthy')[0], 15_000);
    expect(u['reason']).toMatch(/^no event from the vendor library for \d+ s while subscribed inside an open session$/);
    await waitFor('killed', () => of('ctp-a', 'source_killed').some((s) => String(s['reason']).startsWith('unhealthy:')), 15_000);
    await waitFor('subscribed after the hang', () => subscribedCount() === 4, 30_000);
    before = w.ticks.length;
    await waitFor('ticks after the hang', () => w.ticks.length > before + 50, 10_000);

    // Through all of it, the wrong password was tried once.
    expect(bad.stats.refusedLogins).toBe(1);
    expect(of('ctp-bad', 'source_spawned')).toEqual([]); // (its one spawn was before the watcher connected)
    const status = await mdhub(['status', '--data-dir', dataDir]);
    expect(status).toMatch(/ctp-bad\s+stopped\s+failed: MDH_ERR_GATEWAY_LOGIN_FAILED/);
    const json = JSON.parse(await mdhub(['status', '--json', '--data-dir', dataDir])) as { health: { sources: Array<{ id: string; restarts: number; pid: number | null }> } };
    expect(json.health.sources.find((g) => g.id === 'ctp-bad')).toMatchObject({ restarts: 0, pid: null });
    expect(json.health.sources.find((g) => g.id === 'ctp-nolib')).toMatchObject({ restarts: 0, pid: null });
    expect(json.health.sources.find((g) => g.id === 'ctp-a')!.restarts).toBe(2); // the crash and the hang; the reconnect was not one
  });
});
