/**
 * The N-API binding against mdhub's ABI simulator library (all three flavours) and the simulated front:
 * named errors for a missing file, a non-library, a library without the factory and a flavour mismatch;
 * connect, log in, subscribe 2,000+ instruments and receive every snapshot the front sent, field for field
 * (absent prices as 0); GBK messages as UTF-8; the front going down and coming back (0x1001, then a new
 * session); silence (a heartbeat warning, then 0x2001); an event handler that throws; a full queue
 * conflated per instrument; release.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CatalogError } from '@mdhub/protocol';
import { SimFront, simLibrary, writeSimSettings } from '@mdhub/vendor-sim';
import type { Flavour } from '@mdhub/vendor-sim';
import { apiVersion, openSession } from '../src/internal.js';
import type { DepthEvent, NativeSession, VendorEvent } from '../src/internal.js';
import { REQUIRE_ALL, sleep, unavailable, waitFor } from './helpers.js';

const ANCHOR = Date.parse('2026-11-25T09:35:00+08:00');

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof CatalogError ? err.code : `not a named error: ${String(err)}`;
  }
  return 'no error';
}

interface Harness {
  front: SimFront;
  session: NativeSession;
  events: VendorEvent[];
  depth: () => DepthEvent[];
  count: (t: VendorEvent['t']) => number;
}

const open: Array<{ session: NativeSession; front: SimFront }> = [];
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.session.release();
    await o.front.close();
  }
});

/** A front and a session that logs in on every connect and subscribes `ids` (all the front serves by default) on every login. */
async function harness(flavour: Flavour, opts: { ids?: string[]; instruments?: number; settings?: Parameters<typeof writeSimSettings>[1]; capacity?: number; onEvents?: (e: VendorEvent[]) => void; accounts?: Array<{ brokerId: string; userId: string; password: string }> } = {}): Promise<Harness> {
  const front = await SimFront.start({
    flavour, clock: { simulated: true, anchorMs: ANCHOR, monoRefNs: Number(process.hrtime.bigint()), rate: 1 }, market: { instruments: opts.instruments ?? 300 },
    exchanges: flavour === 'sopt' ? ['SSE', 'SZSE'] : ['SHFE', 'INE', 'DCE', 'CZCE', 'CFFEX', 'GFEX'], ...(opts.accounts ? { accounts: opts.accounts } : {}),
  });
  const flow = `${fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-flow-'))}/`;
  writeSimSettings(flow, { retryMs: 100, reconnectMs: 50, ...opts.settings });
  const events: VendorEvent[] = [];
  const ids = opts.ids ?? front.universe.map((i) => i.symbol);
  let reqId = 0;
  const session: NativeSession = openSession({
    library: simLibrary(flavour), flavour, flowPath: flow, productionMode: true, ...(opts.capacity ? { queueCapacity: opts.capacity } : {}),
    onEvents: (evs) => {
      for (const e of evs) {
        events.push(e);
        if (e.t === 'connected') session.login('9999', 'u1', 'pw-1', ++reqId);
        if (e.t === 'login' && e.errorId === 0) for (let i = 0; i < ids.length; i += 500) session.subscribe(ids.slice(i, i + 500));
      }
      opts.onEvents?.(evs);
    },
  });
  open.push({ session, front });
  session.registerFront(front.address);
  session.init();
  return { front, session, events, depth: () => events.filter((e): e is DepthEvent => e.t === 'depth'), count: (t) => events.filter((e) => e.t === t).length };
}

describe('vendor binding', () => {
  if (unavailable !== null) {
    if (REQUIRE_ALL) it('is built, with the simulator libraries (MDHUB_REQUIRE_ALL=1)', () => { throw new Error(String(unavailable)); });
    else it.skip(`skipped: ${unavailable}`, () => {});
    return;
  }

  it('refuses a missing file, a non-library, a library without the factory and a wrong flavour, by name', () => {
    const flow = `${fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-flow-'))}/`;
    const mk = (library: string, flavour: Flavour, flowPath = flow) => () => openSession({ library, flavour, flowPath, productionMode: true, onEvents: () => {} });
    expect(code(mk('/nope/libthostmduserapi_se.so', 'ctp-6.7.7'))).toBe('MDH_ERR_CTP_LIBRARY_NOT_FOUND');
    const notElf = path.join(flow, 'not-a-library.so');
    fs.writeFileSync(notElf, 'hello');
    expect(code(mk(notElf, 'ctp-6.7.7'))).toBe('MDH_ERR_CTP_LIBRARY_LOAD');
    const libz = ['/lib/x86_64-linux-gnu/libz.so.1', '/usr/lib/x86_64-linux-gnu/libz.so.1'].find((f) => fs.existsSync(f))!;
    expect(code(mk(libz, 'ctp-6.7.7'))).toBe('MDH_ERR_CTP_SYMBOL_MISSING');
    let err: unknown;
    try {
      mk(simLibrary('ctp-6.7.7'), 'sopt')();
    } catch (e) {
      err = e;
    }
    expect((err as CatalogError).code).toBe('MDH_ERR_CTP_FLAVOUR_MISMATCH');
    expect(String((err as CatalogError).details['reason'])).toContain('ctp-6.7.7');
    expect(code(mk(simLibrary('ctp-6.7.11'), 'ctp-6.7.7'))).toBe('MDH_ERR_CTP_FLAVOUR_MISMATCH');
    expect(code(mk(simLibrary('ctp-6.7.7'), 'ctp-6.7.7', '/nope/flow/'))).toBe('MDH_ERR_CTP_CREATE_FAILED');
    expect(apiVersion(simLibrary('ctp-6.7.11'), 'ctp-6.7.11')).toMatch(/^v6\.7\.11/);
    expect(apiVersion(simLibrary('sopt'), 'sopt')).toMatch(/^v3\.7/);
  });

  for (const flavour of ['ctp-6.7.7', 'ctp-6.7.11', 'sopt'] as const) {
    it(`${flavour}: logs in, subscribes every instrument in batches, and receives every snapshot the front sent, field for field`, async () => {
      const h = await harness(flavour, flavour === 'sopt' ? {} : { instruments: 2400 });
      expect(h.session.tradingDay()).toBe('19800100'); // before a login
      await waitFor('login', () => h.events.find((e) => e.t === 'login'));
      const n = h.front.universe.length;
      await waitFor('every subscription answered', () => h.count('sub') >= n, 20_000);
      if (flavour !== 'sopt') expect(n).toBeGreaterThanOrEqual(2000);
      expect(h.session.tradingDay()).toBe(h.front.tradingDay);
      const login = h.events.find((e) => e.t === 'login') as Extract<VendorEvent, { t: 'login' }>;
      expect(login).toMatchObject({ errorId: 0, brokerId: '9999', userId: 'u1', systemName: '模拟前置' });
      await waitFor('depth', () => h.depth().length > 200, 20_000);
      await sleep(500);
      // every snapshot the front sent for an instrument arrived, in order, with its values (absent prices 0)
      let compared = 0;
      for (const [symbol, sent] of h.front.sent) {
        const got = h.depth().filter((d) => d.symbol === symbol);
        for (let i = 0; i < Math.min(sent.length, got.length); i++) {
          const t = sent[i]!;
          const d = got[i]!;
          expect([d.last_price, d.volume, d.turnover, d.open_interest, d.bid_price_1, d.ask_price_1, d.bid_volume_1, d.ask_volume_5, d.limit_up, d.pre_settlement, d.average_price])
            .toEqual([t.last_price, t.volume, t.turnover, t.open_interest, t.bid_price_1, t.ask_price_1, t.bid_volume_1, t.ask_volume_5, t.limit_up, t.pre_settlement, t.average_price]);
          expect(d.settlement).toBe(0); // DBL_MAX in the struct
          compared++;
        }
        expect(got.length).toBeGreaterThanOrEqual(sent.length - 5); // the last few may still be on their way
      }
      expect(compared).toBeGreaterThan(200);
      const s = h.session.stats();
      expect(s).toMatchObject({ dropped: 0, conflated: 0, jsErrors: 0, inCallbackMs: 0 });
    });
  }

  it('a refused login is an error event with the GBK message in UTF-8', async () => {
    const h = await harness('ctp-6.7.7', { ids: [], accounts: [{ brokerId: '9999', userId: 'u1', password: 'other' }] });
    const login = await waitFor('login', () => h.events.find((e): e is Extract<VendorEvent, { t: 'login' }> => e.t === 'login'));
    expect(login.errorId).toBe(3);
    expect(login.errorMsg).toBe('不合法的登录');
  });

  it('the front going down is 0x1001; the library retries silently and a new session logs in again', async () => {
    const h = await harness('ctp-6.7.7', { ids: ['rb2701'] });
    await waitFor('login', () => h.count('login') === 1);
    await h.front.kill();
    await waitFor('disconnected', () => h.events.find((e) => e.t === 'disconnected'));
    expect(h.events.find((e) => e.t === 'disconnected')).toEqual({ t: 'disconnected', reason: 0x1001 });
    await sleep(500); // refused connects: no callback at all
    expect(h.count('connected')).toBe(1);
    await h.front.revive();
    await waitFor('a second login', () => h.count('login') === 2);
    expect(h.count('connected')).toBe(2);
    const before = h.depth().length;
    await waitFor('ticks again', () => h.depth().length > before + 2, 10_000);
  });

  it('silence from the front is a heartbeat warning, then 0x2001, then a reconnect', async () => {
    const h = await harness('ctp-6.7.7', { ids: [], settings: { heartbeatWarnMs: 300, heartbeatTimeoutMs: 800, pingMs: 100000 } });
    await waitFor('login', () => h.count('login') === 1);
    h.front.silence(1500);
    await waitFor('0x2001', () => h.events.find((e) => e.t === 'disconnected'), 5000);
    expect(h.events.find((e) => e.t === 'heartbeat_warning')).toBeTruthy();
    expect(h.events.find((e) => e.t === 'disconnected')).toEqual({ t: 'disconnected', reason: 0x2001 });
    await waitFor('a new session', () => h.count('login') === 2, 10_000);
  });

  it('an event handler that throws is caught on the JS thread; the session goes on', async () => {
    let thrown = 0;
    const h = await harness('sopt', { onEvents: () => { thrown++; throw new Error('handler bug'); } });
    await waitFor('ticks', () => h.depth().length > 20, 10_000);
    expect(h.session.stats().jsErrors).toBeGreaterThan(0);
    expect(h.session.stats().jsErrors).toBe(thrown);
  });

  it('a full queue conflates market data per instrument, and counts it', async () => {
    const h = await harness('ctp-6.7.7', { instruments: 300, capacity: 16 });
    await waitFor('ticks', () => h.depth().length > 10, 10_000);
    // Hold the JS thread: the vendor's thread keeps queueing without ever blocking.
    const until = Date.now() + 1500;
    while (Date.now() < until) { /* busy */ }
    await sleep(300);
    const s = h.session.stats();
    expect(s.maxQueuedDepth).toBeLessThanOrEqual(16); // market data never passes the bound
    expect(s.conflated + s.dropped).toBeGreaterThan(0);
  });

  it('a delayed connection delays every snapshot by at least that much', async () => {
    const h = await harness('ctp-6.7.7', { ids: [] });
    await waitFor('login', () => h.count('login') === 1);
    const t = { ...h.front.universe[0]!, datetime: h.front.clock.now() } as unknown as Parameters<SimFront['sendDepth']>[0];
    const lag = async (): Promise<number> => {
      const before = h.depth().length;
      const t0 = performance.now();
      h.front.sendDepth({ ...t, volume: before + 1 });
      await waitFor('the snapshot', () => h.depth().length > before, 5000);
      return performance.now() - t0;
    };
    const direct = await lag();
    h.front.delay(400);
    const delayed = await lag();
    expect(delayed).toBeGreaterThanOrEqual(390);
    h.front.delay(0);
    expect(delayed - direct).toBeGreaterThan(300); // (a lower bound: a busy machine only adds to both)
  });

  it('after release no callback arrives and calls are a named error', async () => {
    const h = await harness('ctp-6.7.11', { ids: ['rb2701', 'cu2701'] });
    await waitFor('ticks', () => h.depth().length > 0, 10_000);
    await h.session.release();
    const n = h.events.length;
    await sleep(700);
    expect(h.events.length).toBe(n);
    expect(code(() => h.session.subscribe(['rb2701']))).toBe('MDH_ERR_CTP_RELEASED');
  });

  it('in a gateway child (MDHUB_GATEWAY set) loading the addon makes the process die with its parent, even stopped', async () => {
    // parent → child; the child loads the addon and stops itself (SIGSTOP): only a parent-death signal ends it.
    const addonFile = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../build/Release/mdhub_ctp.node');
    const childJs = `require(${JSON.stringify(addonFile)}); process.kill(process.pid, 'SIGSTOP');`;
    const run = async (env: NodeJS.ProcessEnv): Promise<boolean> => {
      const parentJs = `const c = require('node:child_process').spawn(process.execPath, ['-e', ${JSON.stringify(childJs)}], { stdio: 'ignore', env: ${JSON.stringify(env)} }); console.log(c.pid); setInterval(() => {}, 1000);`;
      const parent = spawn(process.execPath, ['-e', parentJs], { stdio: ['ignore', 'pipe', 'ignore'] });
      const pid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
      await waitFor('child stopped', () => /^State:\s+T/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')), 10_000);
      parent.kill('SIGKILL');
      await sleep(800);
      const alive = fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (alive) process.kill(pid, 'SIGKILL');
      return alive;
    };
    expect(await run({ PATH: process.env['PATH'] ?? '', MDHUB_GATEWAY: 'ctp-test' })).toBe(false);
    expect(await run({ PATH: process.env['PATH'] ?? '' })).toBe(true); // without it, nothing would end the stopped child
  });
});
