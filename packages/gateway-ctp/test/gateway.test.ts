/**
 * The CTP / SOPT gateway (the plugin's gateway object, in this process) against mdhub's ABI simulator
 * library and simulated front: resolves its instruments from a reference file, logs in, subscribes 2,000+
 * instruments in batches and emits ticks equal to the tape the front sent; the front killed and revived
 * (0x1001 as the reason, then a new login and every instrument subscribed again, without anyone asking);
 * a refused login (a named non-retryable failure, no second attempt); an unreachable front; a library
 * hung inside its thread (the watchdog asks for a hard restart); named errors before anything connects.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MarketTick } from '@mdhub/protocol';
import { CatalogError } from '@mdhub/protocol';
import { TradingCalendar, clockFromParams, loadMarketData } from '@mdhub/core/plugin';
import type { ClockParams, GatewayContext, GatewayState, InstrumentRef } from '@mdhub/core/plugin';
import { SimFront, simLibrary, writeSimSettings } from '@mdhub/vendor-sim';
import type { Flavour } from '@mdhub/vendor-sim';
import { plugin as ctpPlugin } from '../src/index.js';
import { SOPT_PLUGIN_OPTIONS, makeGatewayPlugin } from '../src/internal.js';
import type { GatewayConfig } from '../src/index.js';
import { REQUIRE_ALL, sleep, unavailable, waitFor } from './helpers.js';

const soptPlugin = makeGatewayPlugin(SOPT_PLUGIN_OPTIONS);
const ANCHOR = Date.parse('2026-11-25T09:35:00+08:00');

interface Run {
  front: SimFront;
  gw: ReturnType<typeof ctpPlugin.create>;
  ticks: MarketTick[];
  states: Array<{ state: GatewayState; reason?: string }>;
  info: Record<string, unknown>;
  instruments: InstrumentRef[];
  unhealthy: string[];
  failures: Error[];
  logs: Array<{ level: string; msg: string; details?: Record<string, unknown> }>;
  stateNow: () => GatewayState | undefined;
}

const runs: Run[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) {
    await r.gw.stop();
    await r.front.close();
  }
});

/** Writes the front's universe as a reference file, the way a user supplies one (CSV; the expiry is made up: the 28th of the contract month). */
function referenceFile(front: SimFront, dir: string): string {
  const file = path.join(dir, 'instruments.csv');
  const rows = ['symbol,exchange,name,expiry'];
  for (const i of front.universe) rows.push(`${i.symbol},${i.exchange},"${i.name}",20${i.month}28`);
  fs.writeFileSync(file, `${rows.join('\n')}\n`);
  return file;
}

async function start(flavour: Flavour, o: {
  instruments?: number; config?: Record<string, unknown>; accounts?: Array<{ brokerId: string; userId: string; password: string }>;
  settings?: Parameters<typeof writeSimSettings>[1]; frontDown?: boolean;
} = {}): Promise<Run> {
  const clock: ClockParams = { simulated: true, anchorMs: ANCHOR, monoRefNs: Number(process.hrtime.bigint()), rate: 1 };
  const sopt = flavour === 'sopt';
  const front = await SimFront.start({
    flavour, clock, market: { instruments: o.instruments ?? 300 }, exchanges: sopt ? ['SSE', 'SZSE'] : ['SHFE', 'INE', 'DCE', 'CZCE', 'CFFEX', 'GFEX'],
    ...(o.accounts ? { accounts: o.accounts } : {}),
  });
  if (o.frontDown) await front.kill();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-gw-'));
  const flow = path.join(dir, 'flow');
  writeSimSettings(`${flow}/`, { retryMs: 100, reconnectMs: 50, ...o.settings });
  const p = sopt ? soptPlugin : ctpPlugin;
  const config = p.configSchema.parse({
    library: simLibrary(flavour), flavour, fronts: [front.address], broker_id: '9999', user_id: 'u1', password: 'pw-1',
    reference_file: referenceFile(front, dir), flow_dir: flow, simulated: true, ...o.config,
  }) as GatewayConfig;
  const r: Partial<Run> & { ticks: MarketTick[]; states: Run['states']; info: Record<string, unknown>; instruments: InstrumentRef[]; unhealthy: string[]; failures: Error[]; logs: Run['logs'] } = {
    front, ticks: [], states: [], info: {}, instruments: [], unhealthy: [], failures: [], logs: [],
  };
  const ctx: GatewayContext<GatewayConfig> = {
    id: sopt ? 'sopt-a' : 'ctp-a', hubId: 'h', runId: 'r', config, clock: clockFromParams(clock), calendar: new TradingCalendar(loadMarketData()), dataDir: dir,
    emit: (t) => { r.ticks.push(...t); },
    setState: (state, reason) => { r.states.push({ state, ...(reason ? { reason } : {}) }); },
    log: (level, msg, details) => { r.logs.push({ level, msg, ...(details ? { details } : {}) }); },
    report: (info) => { Object.assign(r.info, info); },
    instruments: (list) => { r.instruments = [...list]; },
    unhealthy: (reason) => { r.unhealthy.push(reason); },
    fail: (err) => { r.failures.push(err); void r.gw!.stop(); }, // what the gateway host does
  };
  r.gw = p.create(ctx);
  r.stateNow = () => r.states.at(-1)?.state;
  runs.push(r as Run);
  await r.gw.start();
  return r as Run;
}

const namedCode = async (p: Promise<unknown>): Promise<string> => p.then(() => 'no error', (e: unknown) => (e instanceof CatalogError ? e.code : `not named: ${String(e)}`));

describe('CTP / SOPT gateway on the ABI simulator', () => {
  if (unavailable !== null) {
    if (REQUIRE_ALL) it('the binding and the simulator libraries are built (MDHUB_REQUIRE_ALL=1)', () => { throw new Error(String(unavailable)); });
    else it.skip(`skipped: ${unavailable}`, () => {});
    return;
  }

  it('CTP: 2,000+ instruments from a reference file, subscribed in batches; ticks equal the tape the front sent, converted', async () => {
    const r = await start('ctp-6.7.7', { instruments: 2400, config: { subscribe: { batch_size: 300, interval_ms: 5 } } });
    await waitFor('subscribed', () => r.stateNow() === 'subscribed', 20_000);
    expect(r.states.map((s) => s.state)).toEqual(['connecting', 'connected', 'logged_in', 'subscribed']);
    const n = r.front.universe.length;
    expect(n).toBeGreaterThanOrEqual(2000);
    expect(r.instruments).toHaveLength(n);
    expect(r.front.subscriptions().size).toBe(n);
    expect(r.front.stats.subscribeCalls).toBe(Math.ceil(n / 300));
    expect(r.info).toMatchObject({ api_version: expect.stringMatching(/^v6\.7\.7/), flavour: 'ctp-6.7.7', trading_day: r.front.tradingDay, subscribed: n, instruments: n });
    expect(r.instruments.find((i) => i.symbol === r.front.universe[0]!.symbol)).toMatchObject({ expiry: `20${r.front.universe[0]!.month}28`, name: r.front.universe[0]!.name });
    await waitFor('ticks', () => r.ticks.length > 1000, 20_000);
    await sleep(300);
    let compared = 0;
    for (const [symbol, sent] of r.front.sent) {
      const got = r.ticks.filter((t) => t.symbol === symbol);
      expect(got.length, symbol).toBeGreaterThanOrEqual(sent.length - 3);
      for (let i = 0; i < Math.min(sent.length, got.length); i++) {
        const { localtime: _l, gateway_name: _g, last_volume: lv, ...want } = sent[i]!;
        const { localtime, gateway_name, last_volume, ...have } = got[i]!;
        expect(have, `${symbol} #${i}`).toEqual(want);
        expect(gateway_name).toBe('ctp-a');
        if (i > 0) expect(last_volume).toBe(lv); // the first has no previous snapshot
        expect(Math.abs(localtime - r.front.clock.now())).toBeLessThan(5_000);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('SOPT: SSE/SZSE options from the reference file; ticks equal the tape', async () => {
    const r = await start('sopt', { instruments: 600 });
    await waitFor('subscribed', () => r.stateNow() === 'subscribed');
    expect(r.instruments.length).toBe(r.front.universe.length);
    expect(r.instruments.every((i) => i.exchange === 'SSE' || i.exchange === 'SZSE')).toBe(true);
    expect(r.info['api_version']).toMatch(/^v3\.7/);
    await waitFor('ticks', () => r.ticks.length > 100);
    await sleep(300);
    let compared = 0;
    for (const [symbol, sent] of r.front.sent) {
      const got = r.ticks.filter((t) => t.symbol === symbol);
      for (let i = 0; i < Math.min(sent.length, got.length); i++) {
        const { localtime: _a, gateway_name: _b, last_volume: _c, ...want } = sent[i]!;
        const { localtime: _d, gateway_name: _e, last_volume: _f, ...have } = got[i]!;
        expect(have).toEqual(want);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100);
  });

  it('the front killed: disconnected with 0x1001 and its meaning; revived: logs in again and re-subscribes every instrument by itself', async () => {
    const r = await start('ctp-6.7.11', { instruments: 400 });
    await waitFor('subscribed', () => r.stateNow() === 'subscribed');
    const n = r.instruments.length;
    await r.front.kill();
    const down = await waitFor('disconnected', () => r.states.find((s) => s.state === 'disconnected'));
    expect(down.reason).toMatch(/^0x1001 network read failure .*reconnects by itself/);
    expect(r.info['last_disconnect']).toMatchObject({ reason: 0x1001 });
    expect(r.front.sessions).toBe(0);
    await sleep(500);
    await r.front.revive();
    await waitFor('subscribed again', () => r.states.filter((s) => s.state === 'subscribed').length === 2);
    expect(r.states.at(-1)!.reason).toBe(`logged in again and re-subscribed ${n} instruments`);
    expect(r.states.map((s) => s.state).slice(-4)).toEqual(['disconnected', 'connected', 'logged_in', 'subscribed']);
    expect(r.front.stats.logins).toBe(2);
    expect(r.front.subscriptions().size).toBe(n); // the new session holds every instrument again
    const before = r.ticks.length;
    await waitFor('ticks flow again', () => r.ticks.length > before + 50);
  });

  it('a refused login: the state says why, a non-retryable MDH_ERR_GATEWAY_LOGIN_FAILED, and no second attempt', async () => {
    const r = await start('ctp-6.7.7', { accounts: [{ brokerId: '9999', userId: 'u1', password: 'the-right-one' }] });
    const f = await waitFor('failure', () => r.failures[0]);
    expect(f).toMatchObject({ code: 'MDH_ERR_GATEWAY_LOGIN_FAILED', retryable: false, details: { error_id: 3, error: '不合法的登录' } });
    expect(r.states.at(-1)).toEqual({ state: 'disconnected', reason: 'login refused: 不合法的登录 (error 3)' });
    await sleep(1500);
    expect(r.front.stats.refusedLogins).toBe(1);
    expect(r.front.stats.connections).toBe(1); // the session was released: no reconnect, no retry
  });

  it('an unreachable front: disconnected with "no connection" after connect_ms, while the library keeps trying', async () => {
    const r = await start('ctp-6.7.7', { frontDown: true, config: { watchdog: { connect_ms: 1000 } } });
    const s = await waitFor('no connection', () => r.states.find((x) => x.state === 'disconnected'), 5000);
    expect(s.reason).toMatch(/^no connection to tcp:\/\/127\.0\.0\.1:\d+ for 1 s; the library keeps trying$/);
    await r.front.revive();
    await waitFor('subscribed', () => r.stateNow() === 'subscribed');
  });

  it('a library hung inside its own thread: no event while subscribed in session, so the watchdog asks for a hard restart', async () => {
    const r = await start('ctp-6.7.7', { config: { watchdog: { silence_ms: 1500 } }, settings: { pingMs: 100_000 } });
    await waitFor('subscribed', () => r.stateNow() === 'subscribed');
    await waitFor('ticks', () => r.ticks.length > 10);
    expect(r.unhealthy).toEqual([]);
    r.front.fault(2); // the library's thread hangs: no callback ever again
    const reason = await waitFor('unhealthy', () => r.unhealthy[0], 6000);
    expect(reason).toMatch(/^no event from the vendor library for \d+ s while subscribed inside an open session$/);
  });

  it('a login the front never answers is sent again after connect_ms', async () => {
    const r = await start('ctp-6.7.7', { frontDown: true, config: { watchdog: { connect_ms: 1000 } } });
    r.front.ignoreLogins(1);
    await r.front.revive();
    await waitFor('subscribed', () => r.stateNow() === 'subscribed');
    expect(r.front.stats).toMatchObject({ ignoredLogins: 1, logins: 1 });
    expect(r.logs.some((l) => l.msg === 'no answer to the login for 1 s; sending it again')).toBe(true);
  });

  it('a vendor callback blocked inside the binding past callback_ms: the watchdog asks for a hard restart', async () => {
    const r = await start('ctp-6.7.7', { config: { watchdog: { callback_ms: 300 } } });
    await waitFor('subscribed', () => r.stateNow() === 'subscribed');
    await waitFor('ticks', () => r.ticks.length > 10);
    r.gw.control!({ op: 'test-hold-queue', ms: 2500 }); // another thread holds the queue: the next callback blocks in Push
    const reason = await waitFor('unhealthy', () => r.unhealthy[0], 6000);
    expect(reason).toMatch(/^a vendor callback has not returned for \d+ ms$/);
  });

  it('named errors before anything connects: no library file, the wrong flavour, nothing to subscribe, a bad reference file', async () => {
    expect(await namedCode(start('ctp-6.7.7', { config: { library: '/nope/libthostmduserapi_se.so' } }))).toBe('MDH_ERR_CTP_LIBRARY_NOT_FOUND');
    expect(await namedCode(start('ctp-6.7.7', { config: { library: simLibrary('ctp-6.7.11') } }))).toBe('MDH_ERR_CTP_FLAVOUR_MISMATCH');
    expect(await namedCode(start('ctp-6.7.7', { config: { instruments: ['zz*.SHFE'] } }))).toMatch(/^not named: .*no product zz/s); // refused by the schema (config.test.ts)
    expect(await namedCode(start('ctp-6.7.7', { config: { instruments: ['rb9999.SHFE'], reference_file: undefined } }))).toBe('no error'); // an explicit id is always subscribed
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-ref-'));
    fs.writeFileSync(path.join(dir, 'r.csv'), 'symbol,exchange\nrb2701,SHFE\nrb2705,NYSE\n');
    expect(await namedCode(start('ctp-6.7.7', { config: { reference_file: path.join(dir, 'r.csv') } }))).toBe('MDH_ERR_CTP_REFERENCE_INVALID');
    fs.writeFileSync(path.join(dir, 'opts.csv'), 'symbol,exchange\n10008123,SSE\n');
    expect(await namedCode(start('ctp-6.7.7', { config: { reference_file: path.join(dir, 'opts.csv') } }))).toBe('MDH_ERR_CTP_NO_INSTRUMENTS');
  });
});
