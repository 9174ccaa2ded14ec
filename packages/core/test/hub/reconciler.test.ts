/**
 * The reconciler applying what the database says to a (fake) supervisor: a gateway whose broker account
 * is taken out of use is stopped and reported as skipped with MDH_ERR_ACCOUNT_DISABLED, the others run on
 * untouched, and enabling the account starts it again.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { DataPlaneHandle } from '../../src/dataplane/handle.js';
import type { GatewaySpec, Supervisor } from '../../src/gateway/supervisor.js';
import { Logger } from '../../src/hub/logger.js';
import { Reconciler, RuntimeReporter } from '../../src/hub/reconciler.js';
import { PluginRegistry } from '../../src/plugin/registry.js';
import { ConfigService } from '../../src/service/config-service.js';
import type { Actor } from '../../src/service/config-service.js';
import { openRepository } from '../../src/store/open.js';
import { SecretBox, newKeyText, parseKeys } from '../../src/store/secrets.js';

const ACTOR: Actor = { name: 'cli:tester' };
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-reconciler-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

// A gateway plugin whose broker fields come from an account.
const ZOD = pathToFileURL(createRequire(import.meta.url).resolve('zod')).href;
const BROKER = path.join(dir, 'broker.mjs');
fs.writeFileSync(BROKER, `
import { z } from '${ZOD}';
export const plugin = {
  name: 'broker', kind: 'gateway', coreVersion: '>=0.1.0', defaultName: 'BROKER',
  accountFields: ['broker_id', 'user_id', 'password', 'fronts'],
  configSchema: z.strictObject({ broker_id: z.string(), user_id: z.string(), password: z.string(), fronts: z.array(z.string()).min(1) }),
  create: () => ({ start: async () => {}, stop: async () => {} }),
};`);

/** The supervisor as the reconciler sees it: the specs it runs. */
function fakeSupervisor(): Supervisor & { running: Map<string, GatewaySpec> } {
  const running = new Map<string, GatewaySpec>();
  const s = {
    running,
    ids: () => [...running.keys()],
    spec: (id: string) => running.get(id),
    add: async (spec: GatewaySpec) => { running.set(spec.id, spec); },
    replace: async (spec: GatewaySpec) => { running.set(spec.id, spec); },
    remove: async (id: string) => { running.delete(id); },
  };
  return s as unknown as Supervisor & { running: Map<string, GatewaySpec> };
}

const fakeDataPlane = { setGroups: async () => {}, setCanaries: () => {}, setCleansing: async () => {} } as unknown as DataPlaneHandle;

describe('reconciler: broker accounts taken out of use', () => {
  it('stops the gateways of a disabled account with MDH_ERR_ACCOUNT_DISABLED, keeps the rest, and starts them again when it is enabled', async () => {
    const repo = await openRepository(`sqlite:${path.join(dir, 'db.sqlite')}`, { schema: 'auto' });
    const service = new ConfigService({ repo, plugins: new PluginRegistry(), secrets: new SecretBox(parseKeys(newKeyText(), 'test'), { kind: 'env' }) });
    await service.addAccount(ACTOR, { id: 'simnow', kind: 'ctp', broker_id: '9999', user_id: '081234', fronts: ['tcp://180.168.146.187:10211'], password: 'S3cr3t-pa55-word' });
    await service.addPlugin(ACTOR, { package: BROKER });
    await service.addGateway(ACTOR, { id: 'broker-a', plugin: BROKER, account: 'simnow' });
    await service.addGateway(ACTOR, { id: 'sim', plugin: '@mdhub/gateway-sim', config: {} });

    const supervisor = fakeSupervisor();
    const log = new Logger({ level: 'debug', stream: { write: () => {} } });
    const statuses: Array<{ kind: string; [k: string]: unknown }> = [];
    const r = new Reconciler({
      reporter: new RuntimeReporter(log), service, supervisor, dataplane: fakeDataPlane, log, hubId: 'hub-a', simulated: false,
      status: (ev) => statuses.push(ev),
    });
    const applied = (): Record<string, unknown> => statuses.filter((s) => s.kind === 'config_applied').at(-1)!;

    await r.poll();
    expect(supervisor.ids().sort()).toEqual(['broker-a', 'sim']);
    const simSpec = supervisor.spec('sim');

    await service.enableAccount(ACTOR, 'simnow', false);
    await r.poll();
    expect(supervisor.ids()).toEqual(['sim']);
    expect(supervisor.spec('sim')).toBe(simSpec); // untouched
    expect(applied()).toMatchObject({ started: [], stopped: ['broker-a'], restarted: [], kept: [], skipped: [{ id: 'broker-a', code: 'MDH_ERR_ACCOUNT_DISABLED' }] });
    expect(r.current?.skipped).toEqual([expect.objectContaining({ id: 'broker-a', code: 'MDH_ERR_ACCOUNT_DISABLED', details: expect.objectContaining({ account: 'simnow' }) })]);
    expect(log.recent({ level: 'error' }).filter((x) => x.code === 'MDH_ERR_ACCOUNT_DISABLED')).toHaveLength(1);

    await service.enableAccount(ACTOR, 'simnow', true);
    await r.poll();
    expect(supervisor.ids().sort()).toEqual(['broker-a', 'sim']);
    expect(supervisor.spec('broker-a')?.config).toMatchObject({ broker_id: '9999', user_id: '081234', password: 'S3cr3t-pa55-word' });
    expect(applied()).toMatchObject({ started: ['broker-a'], stopped: [], restarted: [], skipped: [] });
    expect(r.current?.skipped).toEqual([]);

    await r.stop();
    await repo.close();
  });
});
