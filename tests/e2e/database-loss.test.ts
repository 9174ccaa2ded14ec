/**
 * A database lost while the hub runs never stops ticks. A private MariaDB (its own data folder and
 * port) is SIGKILLed mid-run: the tick stream goes on with no gap, the hub reports `db_unreachable` on
 * the status topic and `/healthz` says degraded (200, not down); when the server is back the hub
 * reports `db_recovered` and applies changes made meanwhile.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mdhub, sleep, startHubProcess, useHubAndClient, waitFor, watchHub } from './helpers.js';
import { PrivateMariaDB, REQUIRE_ALL, privateMariaAvailable } from './mariadb.js';

const fx = useHubAndClient();
let db: PrivateMariaDB | null = null;
afterAll(async () => {
  await db?.stop();
});

describe('database loss', () => {
  it('SIGKILLed MariaDB: ticks flow without a gap, the loss and the recovery are reported, changes apply after it', async () => {
    const missing = privateMariaAvailable();
    if (missing !== null) {
      if (REQUIRE_ALL) throw new Error(missing);
      console.log(`SKIPPED database-loss test: ${missing}`);
      return;
    }
    db = await PrivateMariaDB.start();
    const env = { ...process.env, MDHUB_SECRET_KEY: 'cK3l0pQ8bX2vN7mZ4rT6yU1iO9aS5dF0gH3jK8lQwEr=' };
    await mdhub(['db', 'migrate', '--db', db.url], { env });
    await mdhub(['db', 'seed-demo', '--db', db.url], { env });
    const hub = fx.hub = await startHubProcess(['--db', db.url, '--config-poll-ms', '250'], { env });
    const w = watchHub(hub.ready.pub);
    fx.client = w.client;
    const { ticks, statuses } = w;
    await waitFor('ticks', () => ticks.length > 200, 20_000);

    await db.kill9();
    await waitFor('db_unreachable on the status topic', () => statuses.some((s) => s['kind'] === 'db_unreachable'), 15_000);
    const health = await fetch(`http://${hub.ready.http}/healthz`);
    expect(health.status).toBe(200);
    const body = await health.json() as { status: string; reasons: string[]; db: { up: boolean } };
    expect(body.status).toBe('degraded');
    expect(body.db.up).toBe(false);
    expect(body.reasons.join(' ')).toContain('configuration database unreachable');
    const during = ticks.length;
    await sleep(3000);
    expect(ticks.length).toBeGreaterThan(during + 300); // ticks keep flowing while the database is gone
    expect((await (await fetch(`http://${hub.ready.http}/metrics`)).text())).toMatch(/^mdhub_db_up 0$/m);

    await db.up();
    await waitFor('db_recovered on the status topic', () => statuses.some((s) => s['kind'] === 'db_recovered'), 40_000);
    expect((await (await fetch(`http://${hub.ready.http}/healthz`)).json() as { status: string }).status).toBe('ok');
    // A change made after the recovery applies live.
    await mdhub(['gateway', 'disable', '--db', db.url, 'sim-c'], { env });
    await waitFor('the change applied', () => statuses.some((s) => s['kind'] === 'config_applied' && (s['stopped'] as string[]).includes('sim-c')), 15_000);

    let gaps = 0;
    for (let i = 1; i < ticks.length; i++) if (ticks[i]!.seq !== ticks[i - 1]!.seq + 1) gaps++;
    console.log(JSON.stringify({ e2e: 'database-loss', ticks: ticks.length, gaps, down_ms: statuses.find((s) => s['kind'] === 'db_recovered')?.['down_ms'] }));
    expect(gaps).toBe(0);
    expect(hub.output()).toContain('MDH_ERR_DB_UNREACHABLE');
  });
});
