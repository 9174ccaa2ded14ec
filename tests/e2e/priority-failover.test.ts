/**
 * A `priority` group in the running hub: only the best healthy source feeds; when its process is
 * SIGKILLed, the next source takes over at once (a `failover` status event), its latest state per
 * instrument is published at takeover, the stream stays ordered and duplicate-free, and the preferred
 * source feeds again once restarted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tick } from '@mdhub/protocol';
import { connect } from '@mdhub/client';
import { TEST_ACTOR, configure, sleep, startHubProcess, useHubAndClient, waitFor } from './helpers.js';
import { MARKET_SEED, checkStream } from './tape-check.js';

const fx = useHubAndClient();

describe('priority failover', () => {
  it('fails over to the next source when the feeder dies, and back when it returns', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-e2e-'));
    const market = { seed: MARKET_SEED };
    await configure(dataDir, async (s) => {
      await s.addGroup(TEST_ACTOR, { name: 'all', policy: 'priority', instruments: ['all'] });
      for (const [i, id] of ['sim-a', 'sim-b', 'sim-c'].entries()) {
        await s.addGateway(TEST_ACTOR, { id, plugin: '@mdhub/gateway-sim', config: { market, latency: { medianMs: 3, sigma: 0.5 } }, group: 'all', priority: i + 1 });
      }
    });
    const hub = fx.hub = await startHubProcess([], { dataDir });
    const client = fx.client = connect({ endpoint: hub.ready.pub });
    client.watchEvents();
    const statuses: Array<Record<string, unknown>> = [];
    client.on('status', (e: { status: Record<string, unknown> }) => statuses.push(e.status));
    const ticks: Tick[] = [];
    client.subscribe('*', (t) => ticks.push(t));
    const h = hub;
    const pids = await waitFor('three gateway pids', () => (h.childPids().length === 3 ? h.childPids() : null));
    await waitFor('all three subscribed', () => statuses.filter((s) => s['kind'] === 'source_state' && s['state'] === 'subscribed').length >= 3, 20_000);
    // Whichever source subscribes first feeds until a better one is healthy, so the group settles on
    // sim-a (the best) within the start-up; from then on only sim-a may feed.
    const failovers = (): Array<Record<string, unknown>> => statuses.filter((s) => s['kind'] === 'failover');
    await waitFor('sim-a feeding', () => failovers().at(-1)?.['to'] === 'sim-a', 5000);
    await sleep(500);
    const settled = ticks.length;
    await sleep(2000);
    const before = ticks.length;
    expect(before - settled).toBeGreaterThan(100);
    expect(new Set(ticks.slice(settled).map((t) => t.source))).toEqual(new Set(['sim-a']));

    const seenFailovers = failovers().length;
    process.kill(pids[0]!, 'SIGKILL');
    const after = (): Array<Record<string, unknown>> => failovers().slice(seenFailovers);
    await waitFor('failover to sim-b', () => after().some((s) => s['from'] === 'sim-a' && s['to'] === 'sim-b'), 5000);
    await waitFor('ticks from sim-b', () => ticks.slice(before).some((t) => t.source === 'sim-b'), 5000);
    await waitFor('sim-a restarted and feeding again', () => after().some((s) => s['from'] === 'sim-b' && s['to'] === 'sim-a'), 20_000);
    await sleep(1500);
    expect(ticks.at(-1)!.source).toBe('sim-a');
    expect(ticks.slice(settled).some((t) => t.source === 'sim-c')).toBe(false);

    // The stream stayed clean through both switches: no state twice, per-instrument order kept.
    checkStream(ticks);
  });
});
