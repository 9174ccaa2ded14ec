/**
 * Subscribers as users run them: the Python example (pyzmq + msgpack, Debian's /usr/bin/python3) decodes
 * published ticks with the documented types; @mdhub/client survives a hub restart on the same endpoint;
 * exact-instrument subscriptions get only that instrument; the snapshot service answers.
 */
import { execFileSync, spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import * as zmq from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import type { Tick } from '@mdhub/protocol';
import { FLOAT_FIELDS, decodeEvent, encodeEvent } from '@mdhub/protocol';
import { connect, type MdhubClient } from '@mdhub/client';
import { ROOT, startHubProcess, waitFor, type HubProcess } from './helpers.js';

const PY = '/usr/bin/python3';
let hubs: HubProcess[] = [];
let client: MdhubClient | null = null;

afterEach(async () => {
  await client?.close();
  client = null;
  for (const h of hubs) await h.stop();
  hubs = [];
});

function pythonHasZmq(): boolean {
  try {
    execFileSync(PY, ['-c', 'import zmq, msgpack'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const INT_FIELDS = ['datetime', 'localtime', 'seq', 'iseq', 'gw_recv_ts', 'hub_recv_ts', 'hub_pub_ts'];

describe('Python subscriber example', () => {
  const have = pythonHasZmq();
  if (!have && process.env['MDHUB_REQUIRE_ALL'] === '1') {
    it('needs python3-zmq and python3-msgpack for /usr/bin/python3', () => {
      throw new Error('MDHUB_REQUIRE_ALL=1 but /usr/bin/python3 cannot import zmq and msgpack (apt-get install python3-zmq python3-msgpack)');
    });
    return;
  }
  it.skipIf(!have)('decodes published ticks: vn.py field names, floats for market numbers, integers for times and seq', async () => {
    const hub = await startHubProcess();
    hubs.push(hub);
    const script = path.join(ROOT, 'examples/python/subscriber.py');
    const py = spawn(PY, [script, '--endpoint', hub.ready.pub, '--count', '30', '--timeout', '20', '--json', '*.SHFE', 'SR701.CZCE'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    py.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    py.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise<number | null>((r) => py.on('exit', r));
    expect(code, err).toBe(0);
    const lines = out.trim().split('\n');
    expect(lines).toHaveLength(30);
    for (const line of lines) {
      const t = JSON.parse(line) as Tick;
      expect(t.exchange === 'SHFE' || (t.symbol === 'SR701' && t.exchange === 'CZCE')).toBe(true);
      for (const f of FLOAT_FIELDS) {
        // Python's json prints floats with a decimal point or exponent, ints without.
        const m = new RegExp(`"${f}": ([-0-9.e+]+)`).exec(line);
        expect(m, f).not.toBeNull();
        expect(/[.e]/.test(m![1]!), `${f} must be a float: ${m![1]}`).toBe(true);
      }
      for (const f of INT_FIELDS) {
        const m = new RegExp(`"${f}": ([-0-9.e+]+)`).exec(line);
        expect(/^-?\d+$/.test(m![1]!), `${f} must be an integer: ${m![1]}`).toBe(true);
      }
      expect(typeof t.trading_day).toBe('string');
      expect(t.run_id).toBe(hub.ready.runId);
    }
  });
});

describe('Python subscriber example: --timeout', () => {
  it.skipIf(!pythonHasZmq() && process.env['MDHUB_REQUIRE_ALL'] !== '1')('exits 3 when no tick comes, even while heartbeats arrive', async () => {
    const hub = await startHubProcess();
    hubs.push(hub);
    const script = path.join(ROOT, 'examples/python/subscriber.py');
    const t0 = Date.now();
    const py = spawn(PY, [script, '--endpoint', hub.ready.pub, '--timeout', '2', 'zz9999.SHFE'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    py.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    const code = await new Promise<number | null>((r) => {
      const kill = setTimeout(() => py.kill('SIGKILL'), 20_000);
      py.on('exit', (c) => { clearTimeout(kill); r(c); });
    });
    expect(code, err).toBe(3);
    expect(err).toContain('no tick received');
    expect(Date.now() - t0).toBeLessThan(15_000); // (it used to run until killed)
  });
});

describe('@mdhub/client', () => {
  it('exact subscription delivers only that instrument, in iseq order', async () => {
    const hub = await startHubProcess();
    hubs.push(hub);
    client = connect({ endpoint: hub.ready.pub });
    const got: Tick[] = [];
    const sub = client.subscribe('rb2701.SHFE');
    for await (const t of sub) {
      got.push(t);
      if (got.length === 5) break;
    }
    expect(got.every((t) => t.symbol === 'rb2701' && t.exchange === 'SHFE')).toBe(true);
    for (let i = 1; i < got.length; i++) expect(got[i]!.iseq).toBe(got[i - 1]!.iseq + 1);
  });

  it('reconnects by itself when the hub restarts on the same endpoint, and reports the restart', async () => {
    const port = await freePort();
    const pub = `tcp://127.0.0.1:${port}`;
    const first = await startHubProcess([], { pub });
    hubs.push(first);
    client = connect({ endpoint: pub, staleAfterMs: 1000 });
    const events: string[] = [];
    client.on('event', (e: { type: string }) => events.push(e.type));
    const got: Tick[] = [];
    client.subscribe('*.DCE', (t) => got.push(t));
    await waitFor('ticks from the first hub', () => got.some((t) => t.run_id === first.ready.runId));
    await first.stop();
    hubs = [];
    await waitFor('hub_down', () => events.includes('hub_down'), 10_000);
    const second = await startHubProcess([], { pub, dataDir: first.dataDir });
    hubs.push(second);
    await waitFor('ticks from the restarted hub', () => got.some((t) => t.run_id === second.ready.runId), 20_000);
    expect(events).toContain('hub_restart');
    expect(events).toContain('hub_up');
    const after = got.filter((t) => t.run_id === second.ready.runId);
    expect(after.every((t) => t.exchange === 'DCE')).toBe(true);
    expect(Math.min(...after.map((t) => t.seq))).toBeLessThan(5000);
  });
});

describe('snapshot service', () => {
  it('answers last ticks (typed like the PUB stream) and rejects bad requests with a named error', async () => {
    const hub = await startHubProcess();
    hubs.push(hub);
    client = connect({ endpoint: hub.ready.pub });
    const seen: Tick[] = [];
    client.subscribe('rb2701.SHFE', (t) => seen.push(t));
    await waitFor('a published rb2701', () => seen.length > 0);
    const dealer = new zmq.Dealer({ linger: 0, receiveTimeout: 5000 });
    dealer.connect(hub.ready.snapshot);
    try {
      await dealer.send(encodeEvent({ op: 'last', instruments: ['rb2701.SHFE'], id: 7 }));
      const [reply] = await dealer.receive();
      const r = decodeEvent<{ ok: boolean; id: number; ticks: unknown[] }>(reply!);
      expect(r.ok).toBe(true);
      expect(r.id).toBe(7);
      expect(r.ticks).toHaveLength(1);
      const t = r.ticks[0] as Tick;
      expect(t.symbol).toBe('rb2701');
      expect(t.iseq).toBeGreaterThanOrEqual(seen[0]!.iseq);
      await dealer.send(encodeEvent({ op: 'nope' }));
      const [bad] = await dealer.receive();
      expect(decodeEvent<{ error: string }>(bad!).error).toBe('MDH_ERR_SNAPSHOT_BAD_REQUEST');
      await dealer.send(Buffer.from([0xc1])); // not msgpack: the documented snapshot error, not a wire one
      const [garbage] = await dealer.receive();
      expect(decodeEvent<{ error: string }>(garbage!).error).toBe('MDH_ERR_SNAPSHOT_BAD_REQUEST');
    } finally {
      dealer.close();
    }
  });
});
