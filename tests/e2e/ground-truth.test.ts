/**
 * End-to-end ground truth: the hub with three simulated sources (child processes), subscribed with
 * @mdhub/client, must deliver exactly the simulated exchange's tape for a window: every market state,
 * once, in order per instrument — also when one source is SIGKILLed in the middle.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Tick } from '@mdhub/protocol';
import { connect, type MdhubClient } from '@mdhub/client';
import { alive, sleep, startHubProcess, waitFor, type HubProcess } from './helpers.js';
import { compareWithTape } from './tape-check.js';

let hub: HubProcess | null = null;
let client: MdhubClient | null = null;

afterEach(async () => {
  await client?.close();
  client = null;
  if (hub) {
    const pids = hub.childPids();
    await hub.stop();
    for (const pid of pids) await waitFor(`gateway ${pid} gone`, () => !alive(pid), 5000);
    hub = null;
  }
});

interface Received {
  ticks: Tick[];
}

async function collect(c: MdhubClient, ms: number, during?: () => Promise<void>): Promise<Received> {
  const ticks: Tick[] = [];
  c.subscribe('*', (t) => ticks.push(t));
  await waitFor('first tick', () => ticks.length > 0, 20_000);
  const run = sleep(ms);
  if (during) await during();
  await run;
  return { ticks };
}

describe('hub end to end on simulated sources', () => {
  it('delivers the tape exactly: nothing missing, no duplicates, ordered per instrument', async () => {
    hub = await startHubProcess();
    expect(hub.ready.simulated).toBe(true);
    expect(hub.ready.sources).toEqual(['sim-a', 'sim-b', 'sim-c']);
    client = connect({ endpoint: hub.ready.pub });
    const { ticks } = await collect(client, 8000);
    const r = compareWithTape(hub, ticks);
    expect(r.expected).toBeGreaterThan(1000);
    // All three sources won some races (they race, the fastest wins most).
    const winners = new Set(ticks.map((t) => t.source));
    expect(winners.size).toBeGreaterThanOrEqual(2);
    const lat = ticks.map((t) => t.hub_pub_ts - t.hub_recv_ts).sort((a, b) => a - b);
    console.log(JSON.stringify({ e2e: 'ground-truth', ticks: ticks.length, expected_in_window: r.expected, winners: [...winners], hub_internal_us_p50: lat[lat.length >> 1] }));
  });

  it('loses nothing when one source is SIGKILLed mid-run; the supervisor restarts it; no process is left behind', async () => {
    hub = await startHubProcess();
    client = connect({ endpoint: hub.ready.pub });
    client.watchEvents();
    const statuses: Array<Record<string, unknown>> = [];
    client.on('status', (e: { status: Record<string, unknown> }) => statuses.push(e.status));
    const h = hub;
    const pidsBefore = await waitFor('three gateway pids', () => (h.childPids().length === 3 ? h.childPids() : null));
    const { ticks } = await collect(client, 9000, async () => {
      await sleep(3000);
      process.kill(pidsBefore[0]!, 'SIGKILL');
    });
    compareWithTape(hub, ticks);
    expect(statuses.some((s) => s['kind'] === 'source_exit' && s['signal'] === 'SIGKILL')).toBe(true);
    await waitFor('restarted source subscribed', () => statuses.some((s) => s['kind'] === 'source_spawned' && !pidsBefore.includes(s['pid'] as number)) &&
      statuses.filter((s) => s['kind'] === 'source_state' && s['state'] === 'subscribed').length > 0, 10_000);
    expect(alive(pidsBefore[0]!)).toBe(false);
    const pidsAfter = hub.childPids();
    expect(pidsAfter).toHaveLength(3);
    const code = await hub.stop();
    expect(code).toBe(0);
    for (const pid of [...pidsBefore, ...pidsAfter]) await waitFor(`gateway ${pid} gone`, () => !alive(pid), 5000);
    hub = null;
  });

  it('gateway processes die with the hub even when the hub is SIGKILLed', async () => {
    hub = await startHubProcess();
    const h = hub;
    const pids = await waitFor('three gateway pids', () => (h.childPids().length === 3 ? h.childPids() : null));
    await hub.stop('SIGKILL');
    for (const pid of pids) await waitFor(`orphan gateway ${pid} exits`, () => !alive(pid), 5000);
    hub = null;
  });
});
