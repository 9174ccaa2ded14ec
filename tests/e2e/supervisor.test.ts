/**
 * The supervisor with real gateway processes (the simulator plugin): a hung process (no pong on the
 * control channel) is SIGKILLed and restarted; a crashed one is restarted with backoff; a disconnect
 * takes the source out of the race and back; stop leaves no process behind.
 */
import * as zmq from 'zeromq';
import { afterEach, describe, expect, it } from 'vitest';
import { BatchDecoder } from '@mdhub/protocol';
import { Supervisor, defaultSimAnchor, marketCalendar } from '@mdhub/core/internal';
import { alive, waitFor } from './helpers.js';

let sup: Supervisor | null = null;
const socks: zmq.Pull[] = [];

afterEach(async () => {
  await sup?.stop();
  sup = null;
  for (const s of socks.splice(0)) s.close();
});

interface Harness {
  sup: Supervisor;
  events: Array<Record<string, unknown>>;
  health: Array<[string, boolean]>;
  received: Map<string, number>;
}

async function harness(ids: string[], opts: { hangAfterMs?: number; read?: boolean; instruments?: number; retryDelayMs?: (n: number) => number; healthyHoldMs?: number; breakerAfter?: number; breakerCooldownMs?: number } = {}): Promise<Harness> {
  const events: Array<Record<string, unknown>> = [];
  const health: Array<[string, boolean]> = [];
  const received = new Map<string, number>();
  const clock = { simulated: true, anchorMs: defaultSimAnchor(marketCalendar(), Date.parse('2026-11-25T12:00:00+08:00')), monoRefNs: Number(process.hrtime.bigint()), rate: 1 };
  const s = new Supervisor({
    hubId: 'sup', runId: 'run-sup', clock,
    linkEndpoint: async (id) => {
      if (opts.read === false) {
        // A data plane that never reads: a tiny queue on an ipc link, so the backlog reaches the gateway.
        const stuck = new zmq.Pull({ linger: 0, receiveHighWaterMark: 1 });
        socks.push(stuck);
        await stuck.bind(`ipc://@mdhub-test-stuck-${process.pid}-${id}`);
        return stuck.lastEndpoint!;
      }
      const pull = new zmq.Pull({ linger: 0 });
      socks.push(pull);
      await pull.bind('tcp://127.0.0.1:*');
      void (async () => {
        const decoder = new BatchDecoder();
        try {
          for await (const [m] of pull) received.set(id, (received.get(id) ?? 0) + decoder.decode(m!).ticks.length);
        } catch { /* closed */ }
      })();
      return pull.lastEndpoint!;
    },
    onHealth: (id, h) => health.push([id, h]),
    onEvent: (e) => events.push({ ...e, at_ms: Date.now() }),
    onLog: () => {},
    retryDelayMs: opts.retryDelayMs ?? (() => 200),
    ...(opts.healthyHoldMs !== undefined ? { healthyHoldMs: opts.healthyHoldMs } : {}),
    ...(opts.breakerAfter !== undefined ? { breakerAfter: opts.breakerAfter } : {}),
    ...(opts.breakerCooldownMs !== undefined ? { breakerCooldownMs: opts.breakerCooldownMs } : {}),
    pingMs: 200,
    hangAfterMs: opts.hangAfterMs ?? 1500,
  });
  sup = s;
  await s.start(ids.map((id) => ({ id, plugin: '@mdhub/gateway-sim', config: { market: { seed: 1, instruments: opts.instruments ?? 40 }, loginMs: 30 } })));
  await waitFor('all subscribed', () => ids.every((id) => health.some(([i, h]) => i === id && h)), 20_000);
  return { sup: s, events, health, received };
}

describe('gateway supervisor', () => {
  it('SIGKILLs and restarts a hung gateway (no pong on the control channel)', async () => {
    const h = await harness(['g1']);
    const pid = h.sup.pids()[0]!;
    await h.sup.control('g1', { op: 'hang' });
    await waitFor('source_hung', () => h.events.some((e) => e['kind'] === 'source_hung'), 10_000);
    await waitFor('restarted and subscribed again', () => h.sup.pids().length === 1 && h.sup.pids()[0] !== pid && h.health.filter(([, ok]) => ok).length >= 2, 15_000);
    expect(alive(pid)).toBe(false);
    expect(h.events.some((e) => e['kind'] === 'source_killed' && e['reason'] === 'hung')).toBe(true);
  });

  it('kills hung gateways one at a time, hangAfterMs apart (no restart storm on an overloaded machine)', async () => {
    const h = await harness(['g1', 'g2']);
    await Promise.all([h.sup.control('g1', { op: 'hang' }), h.sup.control('g2', { op: 'hang' })]);
    await waitFor('two hang kills', () => h.events.filter((e) => e['kind'] === 'source_killed' && e['reason'] === 'hung').length === 2, 15_000);
    const at = h.events.filter((e) => e['kind'] === 'source_hung').map((e) => e['at_ms'] as number);
    expect(at).toHaveLength(2);
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(1500);
  });

  it('restarts a crashed gateway and reports the exit; the source feeds again', async () => {
    const h = await harness(['g1', 'g2']);
    const before = h.received.get('g1') ?? 0;
    const sentOf = (): number => h.sup.info().find((g) => g.id === 'g1')!.sent;
    await waitFor('g1 reports ticks sent', () => sentOf() > 0, 10_000);
    const sentBefore = sentOf();
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(sentOf()), 20);
    await h.sup.control('g1', { op: 'crash' }).catch(() => {});
    await waitFor('source_exit', () => h.events.some((e) => e['kind'] === 'source_exit' && e['source'] === 'g1'), 10_000);
    await waitFor('g1 healthy again', () => h.health.filter(([id, ok]) => id === 'g1' && ok).length >= 2, 15_000);
    await waitFor('g1 sends ticks again', () => (h.received.get('g1') ?? 0) > before + 10, 15_000);
    // the source's sent count carries on across the restart (a counter: it never goes down)
    await waitFor('sent keeps counting after the restart', () => sentOf() > sentBefore, 10_000);
    clearInterval(sampler);
    expect(samples.length).toBeGreaterThan(10);
    samples.forEach((v, i) => expect(v).toBeGreaterThanOrEqual(i === 0 ? sentBefore : samples[i - 1]!));
    expect(h.health).toContainEqual(['g1', false]);
    // the other source was never touched
    expect(h.health.filter(([id, ok]) => id === 'g2' && !ok)).toEqual([]);
  });

  it('backoff grows while a source keeps dying soon after it subscribes, and starts over after a healthy hold', async () => {
    const h = await harness(['g1'], { retryDelayMs: (n) => 100 * 2 ** (n - 1), healthyHoldMs: 1500 });
    const exits = (): Array<Record<string, unknown>> => h.events.filter((e) => e['kind'] === 'source_exit');
    const healthyCount = (): number => h.health.filter(([, ok]) => ok).length;
    for (let i = 1; i <= 3; i++) {
      await waitFor(`subscribed (${i})`, () => healthyCount() === i, 15_000);
      await h.sup.control('g1', { op: 'crash' }).catch(() => {});
      await waitFor(`exit ${i}`, () => exits().length === i, 10_000);
    }
    expect(exits().map((e) => [e['attempt'], e['restart_in_ms']])).toEqual([[1, 100], [2, 200], [3, 400]]);
    // Subscribed for longer than the hold: the next death starts over at attempt 1.
    await waitFor('subscribed (4)', () => healthyCount() === 4, 15_000);
    await new Promise((r) => setTimeout(r, 1700));
    await h.sup.control('g1', { op: 'crash' }).catch(() => {});
    await waitFor('exit 4', () => exits().length === 4, 10_000);
    expect(exits()[3]).toMatchObject({ attempt: 1, restart_in_ms: 100 });
  });

  it('the circuit breaker opens after restarts that never reached healthy, tries once after the cool-down, and closes on healthy', async () => {
    // Nothing tells this supervisor a process was healthy (no health monitor here): every restart counts as failed.
    const h = await harness(['g1'], { breakerAfter: 3, breakerCooldownMs: 1500 });
    const kinds = (): string[] => h.events.map((e) => String(e['kind']));
    const subscribedCount = (): number => h.health.filter(([, ok]) => ok).length;
    for (let i = 1; i <= 3; i++) {
      await waitFor(`subscribed (${i})`, () => subscribedCount() === i, 15_000);
      await h.sup.control('g1', { op: 'crash' }).catch(() => {});
      await waitFor(`exit ${i}`, () => h.events.filter((e) => e['kind'] === 'source_exit' || e['kind'] === 'breaker_open').length === i, 10_000);
    }
    expect(h.events.find((e) => e['kind'] === 'breaker_open')).toMatchObject({ source: 'g1', failed_restarts: 3, retry_in_ms: 1500 });
    expect(h.sup.pids()).toEqual([]); // no restart while open
    expect(h.sup.info()[0]!.breaker).toBe('open');
    await waitFor('half-open try', () => kinds().includes('breaker_half_open'), 5000);
    await waitFor('subscribed (4)', () => subscribedCount() === 4, 15_000);
    h.sup.noteHealthy('g1'); // the health monitor would say so once it judges the source ok
    expect(kinds()).toContain('breaker_closed');
    expect(h.sup.info()[0]!.breaker).toBe('closed');
    // healthy once: the next death is an ordinary restart, not a breaker count towards opening
    await h.sup.control('g1', { op: 'crash' }).catch(() => {});
    await waitFor('restarted', () => subscribedCount() === 5, 15_000);
    expect(kinds().filter((k) => k === 'breaker_open')).toHaveLength(1);
  });

  it('an admin start closes an open breaker at once', async () => {
    const h = await harness(['g1'], { breakerAfter: 1, breakerCooldownMs: 600_000 });
    await h.sup.control('g1', { op: 'crash' }).catch(() => {});
    await waitFor('breaker open', () => h.events.some((e) => e['kind'] === 'breaker_open'), 10_000);
    await h.sup.startByAdmin('g1');
    expect(h.events.find((e) => e['kind'] === 'breaker_closed')).toMatchObject({ source: 'g1', by: 'admin' });
    await waitFor('subscribed again', () => h.health.filter(([, ok]) => ok).length === 2, 15_000);
  });

  it('a front disconnect takes the source out of the race and back in, without a restart', async () => {
    const h = await harness(['g1']);
    const pid = h.sup.pids()[0];
    await h.sup.control('g1', { op: 'disconnect', ms: 800 });
    await waitFor('unhealthy', () => h.health.some(([, ok]) => !ok));
    await waitFor('healthy again', () => h.health.filter(([, ok]) => ok).length >= 2, 10_000);
    expect(h.sup.pids()[0]).toBe(pid);
    expect(h.events.some((e) => e['kind'] === 'source_state' && e['state'] === 'disconnected')).toBe(true);
  });

  it('reports the ticks a gateway holds when the hub does not read its link (backlog, before any overflow)', async () => {
    const h = await harness(['g1'], { read: false, instruments: 2000 });
    await waitFor('pending ticks reported in pongs', () => (h.sup.info()[0]?.pending ?? 0) > 2000, 15_000);
    expect(h.events.some((e) => e['kind'] === 'link_overflow')).toBe(false);
  });

  it('stop ends every gateway process', async () => {
    const h = await harness(['g1', 'g2', 'g3']);
    const pids = h.sup.pids();
    expect(pids).toHaveLength(3);
    await h.sup.stop();
    sup = null;
    for (const pid of pids) expect(alive(pid)).toBe(false);
  });
});
