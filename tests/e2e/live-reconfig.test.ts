/**
 * Live reconfiguration, done as an operator does it (`npx mdhub gateway set …` against the database):
 * a running hub restarts only the instance that changed while the others keep publishing, so a
 * subscriber sees contiguous seq and iseq; instances are added and disabled live; a group's policy
 * changes live. A second hub sharing the MariaDB database picks up the same changes, and an instance
 * pinned to one hub runs there only.
 */
import { describe, expect, it } from 'vitest';
import type { Tick } from '@mdhub/protocol';
import { mdhub, sleep, startHubProcess, useHubAndClient, waitFor, watchHub, type HubProcess, type Watch } from './helpers.js';
import { REQUIRE_ALL, localDatabase, localMariaDown } from './mariadb.js';

const fx = useHubAndClient();

/** Every seq follows the one before, and every instrument's iseq follows its own previous one. */
function contiguity(ticks: Tick[]): { seqGaps: number; iseqGaps: number } {
  let seqGaps = 0;
  let iseqGaps = 0;
  const last = new Map<string, number>();
  for (let i = 0; i < ticks.length; i++) {
    const t = ticks[i]!;
    if (i > 0 && t.seq !== ticks[i - 1]!.seq + 1) seqGaps++;
    const k = `${t.symbol}.${t.exchange}`;
    const prev = last.get(k);
    if (prev !== undefined && t.iseq !== prev + 1) iseqGaps++;
    last.set(k, t.iseq);
  }
  return { seqGaps, iseqGaps };
}

const applied = (w: Watch, pred: (s: Record<string, unknown>) => boolean): Record<string, unknown> | undefined => w.statuses.find((s) => s['kind'] === 'config_applied' && pred(s));

async function sources(hub: HubProcess): Promise<Array<{ id: string; pid: number | null; state: string }>> {
  const h = await (await fetch(`http://${hub.ready.http}/healthz`)).json() as { sources: Array<{ id: string; pid: number | null; state: string }> };
  return h.sources;
}

describe('live reconfiguration', () => {
  it('restarts only the changed instance while the others publish: contiguous seq and iseq; adds, disables and re-polices live', async () => {
    const hub = fx.hub = await startHubProcess();
    const dd = ['--data-dir', hub.dataDir];
    const w = watchHub(hub.ready.pub);
    fx.client = w.client;
    await waitFor('ticks from the demo', () => w.ticks.length > 300, 20_000);
    const before = new Map((await sources(hub)).map((s) => [s.id, s.pid]));

    await mdhub(['gateway', 'set', 'sim-b', '--config', JSON.stringify({ market: { seed: 20260101 }, latency: { medianMs: 4, sigma: 0.5 } }), ...dd]);
    await waitFor('the change applied', () => applied(w, (s) => (s['restarted'] as string[]).includes('sim-b')), 15_000);
    await waitFor('sim-b subscribed again', async () => (await sources(hub)).find((s) => s.id === 'sim-b')?.state === 'subscribed', 15_000);
    const after = new Map((await sources(hub)).map((s) => [s.id, s.pid]));
    expect(after.get('sim-a')).toBe(before.get('sim-a'));
    expect(after.get('sim-c')).toBe(before.get('sim-c'));
    expect(after.get('sim-b')).not.toBe(before.get('sim-b'));
    const ev = applied(w, (s) => (s['restarted'] as string[]).includes('sim-b'))!;
    expect(ev).toMatchObject({ restarted: ['sim-b'], started: [], stopped: [] });

    await mdhub(['gateway', 'add', '--name', 'sim-d', '--plugin', '@mdhub/gateway-sim', '--config', JSON.stringify({ market: { seed: 20260101 }, latency: { medianMs: 1 } }), ...dd]);
    await waitFor('sim-d started live', () => applied(w, (s) => (s['started'] as string[]).includes('sim-d')), 15_000);
    await waitFor('sim-d winning races', () => w.ticks.some((t) => t.source === 'sim-d'), 15_000);
    await mdhub(['gateway', 'disable', 'sim-c', ...dd]);
    await waitFor('sim-c stopped live', () => applied(w, (s) => (s['stopped'] as string[]).includes('sim-c')), 15_000);
    expect((await sources(hub)).map((s) => s.id).sort()).toEqual(['sim-a', 'sim-b', 'sim-d']);

    // The group's policy changes live: one source feeds, announced as a failover for the configuration.
    await mdhub(['group', 'set', 'default', '--policy', 'priority', ...dd]);
    await waitFor('the group changed', () => w.statuses.some((s) => s['kind'] === 'failover' && s['reason'] === 'configuration'), 15_000);
    const fed = w.statuses.find((s) => s['kind'] === 'failover' && s['reason'] === 'configuration')!['to'] as string;
    const mark = w.ticks.length;
    await sleep(2000);
    expect(w.ticks.length).toBeGreaterThan(mark + 100);
    expect(new Set(w.ticks.slice(mark + 20).map((t) => t.source))).toEqual(new Set([fed]));

    const c = contiguity(w.ticks);
    console.log(JSON.stringify({ e2e: 'live-reconfig', ticks: w.ticks.length, ...c, applied: w.statuses.filter((s) => s['kind'] === 'config_applied').length }));
    expect(c).toEqual({ seqGaps: 0, iseqGaps: 0 });
    expect(hub.output()).not.toContain('MDH_ERR_');
  });

  it('a second hub sharing the MariaDB database picks up the same changes; a pinned instance runs on its hub only', async () => {
    const down = await localMariaDown();
    if (down !== null) {
      if (REQUIRE_ALL) throw new Error(`MariaDB at 127.0.0.1:3306 is not reachable (${down})`);
      console.log(`SKIPPED the two-hub test: MariaDB at 127.0.0.1:3306 is not reachable (${down})`);
      return;
    }
    const db = await localDatabase('twohubs');
    const env = { ...process.env, MDHUB_SECRET_KEY: 'q7Xb0fXqGk4ZbTt0m3fF8s9a2pLkJvQwErTyUiOpAsD=' };
    const hubs: HubProcess[] = [];
    try {
      await mdhub(['db', 'migrate', '--db', db.url], { env });
      await mdhub(['db', 'seed-demo', '--db', db.url], { env });
      const a = await startHubProcess(['--db', db.url], { env, hubId: `e2ea${process.pid}` });
      hubs.push(a);
      const b = await startHubProcess(['--db', db.url], { env, hubId: `e2eb${process.pid}` });
      hubs.push(b);
      const ids = async (h: HubProcess): Promise<string[]> => (await sources(h)).map((s) => s.id).sort();
      expect(await ids(a)).toEqual(['sim-a', 'sim-b', 'sim-c']);
      expect(await ids(b)).toEqual(['sim-a', 'sim-b', 'sim-c']);

      await mdhub(['gateway', 'add', '--db', db.url, '--name', 'sim-d', '--plugin', '@mdhub/gateway-sim', '--config', '{}'], { env });
      await mdhub(['gateway', 'add', '--db', db.url, '--name', 'only-b', '--plugin', '@mdhub/gateway-sim', '--config', '{}', '--hub', `e2eb${process.pid}`], { env });
      await mdhub(['gateway', 'disable', '--db', db.url, 'sim-a'], { env });
      await waitFor('hub a applies', async () => JSON.stringify(await ids(a)) === JSON.stringify(['sim-b', 'sim-c', 'sim-d']), 15_000);
      await waitFor('hub b applies', async () => JSON.stringify(await ids(b)) === JSON.stringify(['only-b', 'sim-b', 'sim-c', 'sim-d']), 15_000);
      expect(await ids(a)).toEqual(['sim-b', 'sim-c', 'sim-d']); // never only-b
      const m = await (await fetch(`http://${a.ready.http}/metrics`)).text();
      expect(Number(/^mdhub_config_revision (\d+)$/m.exec(m)?.[1])).toBeGreaterThan(1);
    } finally {
      for (const h of hubs) await h.stop();
      await db.drop();
    }
  });
});
