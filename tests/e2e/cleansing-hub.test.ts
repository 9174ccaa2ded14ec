/**
 * Cleansing inside the running hub: the fastest source injects bad ticks (DBL_MAX, negative prices,
 * crossed books, jumps, stale replays, future stamps). Its garbage must never win a race: subscribers
 * get exactly the tape (nothing invented, nothing missing: the clean sources' copies fill in), and the
 * rejections are counted per rule × source on /metrics and the status topic.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Tick } from '@mdhub/protocol';
import { connect } from '@mdhub/client';
import { TEST_ACTOR, configure, sleep, startHubProcess, useHubAndClient, waitFor } from './helpers.js';
import { MARKET_SEED, compareWithTape } from './tape-check.js';

const fx = useHubAndClient();

async function seed(dataDir: string): Promise<void> {
  const market = { seed: MARKET_SEED };
  await configure(dataDir, async (s) => {
    await s.addGroup(TEST_ACTOR, { name: 'default', policy: 'race', instruments: ['all'] });
    await s.addGateway(TEST_ACTOR, { id: 'dirty', plugin: '@mdhub/gateway-sim', config: { market, latency: { medianMs: 1, sigma: 0.3, minMs: 0.5 }, badTickRate: 0.05 } });
    await s.addGateway(TEST_ACTOR, { id: 'clean-b', plugin: '@mdhub/gateway-sim', config: { market, latency: { medianMs: 4, sigma: 0.5 } } });
    await s.addGateway(TEST_ACTOR, { id: 'clean-c', plugin: '@mdhub/gateway-sim', config: { market, latency: { medianMs: 6, sigma: 0.5 } } });
  });
}

describe('cleansing in the hub', () => {
  it('drops a source\'s injected bad ticks while the same instruments keep flowing from clean sources', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-e2e-'));
    await seed(dataDir);
    const hub = fx.hub = await startHubProcess([], { dataDir });
    expect([...hub.ready.sources].sort()).toEqual(['clean-b', 'clean-c', 'dirty']);
    const client = fx.client = connect({ endpoint: hub.ready.pub });
    client.watchEvents();
    const counters: Array<Record<string, unknown>> = [];
    client.on('status', (e: { status: Record<string, unknown> }) => { if (e.status['kind'] === 'counters') counters.push(e.status); });
    const ticks: Tick[] = [];
    client.subscribe('*', (t) => ticks.push(t));
    await waitFor('ticks', () => ticks.length > 0);
    await sleep(9000);
    compareWithTape(hub, ticks);
    // The dirty source is the fastest, so it still wins most races with its good copies…
    const wins = ticks.filter((t) => t.source === 'dirty').length;
    expect(wins / ticks.length).toBeGreaterThan(0.5);
    // …and its bad copies are counted per rule on /metrics and in the status counters.
    const metrics = await (await fetch(`http://${hub.ready.http}/metrics`)).text();
    const rejected = [...metrics.matchAll(/^mdhub_cleansing_rejected_total\{source="([^"]+)",rule="([^"]+)",group="([^"]+)"\} (\d+)$/gm)];
    const bySource = new Map<string, number>();
    for (const m of rejected) bySource.set(m[1]!, (bySource.get(m[1]!) ?? 0) + Number(m[4]));
    expect(bySource.get('dirty') ?? 0).toBeGreaterThan(20);
    expect(bySource.get('clean-b') ?? 0).toBe(0);
    expect(bySource.get('clean-c') ?? 0).toBe(0);
    expect(new Set(rejected.map((m) => m[2])).size).toBeGreaterThanOrEqual(3);
    // every source reports what waits in its link (a hub keeping up holds little there)
    for (const src of ['dirty', 'clean-b', 'clean-c']) expect(metrics).toMatch(new RegExp(`^mdhub_link_pending_ticks\\{source="${src}"\\} \\d+$`, 'm'));
    await waitFor('a counters status event with rejections', () => counters.some((c) => Array.isArray(c['rejections']) && (c['rejections'] as unknown[]).length > 0), 10_000);
    console.log(JSON.stringify({ e2e: 'cleansing-hub', ticks: ticks.length, dirty_wins: wins, rejected: Object.fromEntries(rejected.map((m) => [`${m[1]}/${m[2]}`, Number(m[4])])) }));
  });
});
