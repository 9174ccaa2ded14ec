/**
 * The repository contract: every adapter (SQLite, MySQL/MariaDB, MongoDB) passes these same tests.
 * A backend supplies how to make a fresh, empty database and how to write a malformed row behind the
 * repository's back (a hand edit), which must be reported, never fatal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf } from '../named-errors.js';
import type { ConfigRepository } from '../../src/store/repository.js';
import { ENTITIES } from '../../src/store/schema.js';
import type { AccountRow, GatewayRecord, GroupRecord, RowOf, EntityName } from '../../src/store/schema.js';

export interface Backend {
  /** A repository on a fresh, empty database (not connected). */
  fresh(): Promise<ConfigRepository>;
  /** Writes a malformed row of `entity` (key `key`) directly into the database. */
  corrupt(repo: ConfigRepository, entity: EntityName, key: string): Promise<void>;
  /** Drops what fresh() made. */
  cleanup(): Promise<void>;
}

const T = 1_795_570_500_000;

export const SAMPLES: { [E in EntityName]: RowOf<E> } = {
  accounts: {
    id: 'ctp-main', kind: 'ctp', broker_id: '9999', user_id: '123456', fronts: ['tcp://180.168.146.187:10211', 'tcp://180.168.146.187:10212'], app_id: 'simnow_client_test',
    notes: '上期技术 SimNow 账户', enabled: false, password_enc: 'v1:abc:iv:tag:ct', auth_code_enc: null, created_at: T, updated_at: T + 1,
  } satisfies AccountRow,
  gateways: {
    id: 'ctp-a', plugin: '@mdhub/gateway-ctp', account_id: 'ctp-main', enabled: true, config: { flavour: 'ctp-6.7.7', instruments: ['rb*.SHFE'], nested: { deep: [1, 2.5, null] } },
    hub_id: null, notes: '', created_at: T, updated_at: T,
  } satisfies GatewayRecord,
  groups: {
    name: 'shfe', policy: 'priority', instruments: ['*.SHFE', 'sc*.INE'], sources: [{ gateway: 'ctp-a', priority: 1 }, { gateway: 'sim-b', priority: 2 }],
    canaries: ['rb.SHFE', 'cu.SHFE'], cleansing: { thresholds: { maxLagMs: 30_000 }, disable: ['price_jump'] }, ord: 2, created_at: T, updated_at: T,
  } satisfies GroupRecord,
  plugins: { package: '@mdhub/gateway-ctp', kind: 'gateway', enabled: false, config: { any: 'json' }, created_at: T, updated_at: T },
  users: { username: 'admin', password_hash: 'scrypt$32768$8$1$c2FsdA==$aGFzaA==', must_change: true, created_at: T, updated_at: T, last_login_at: null },
  settings: { key: 'cleansing', value: { enabled: false }, updated_at: T },
  hubOverrides: { hub_id: 'hub-b', key: 'cleansing', value: { enabled: true }, updated_at: T },
  calendarOverrides: { id: '2027', source: 'exchange notice', data: { holidays: ['20270101'] }, imported_at: T },
  alertIncidents: { incident_key: 'source_dead:ctp-a', severity: 'critical', state: 'open', hub_id: 'hub-a', opened_at: T, closed_at: null, last_sent_at: T, details: { source: 'ctp-a' } },
};


export function repositoryContract(name: string, backend: Backend): void {
  describe(`repository contract: ${name}`, () => {
    let repo: ConfigRepository;
    beforeAll(async () => {
      repo = await backend.fresh();
      await repo.connect();
    });
    afterAll(async () => {
      await repo?.close();
      await backend.cleanup();
    });

    it('migrates a fresh database to the latest schema, and again is a no-op', async () => {
      const before = await repo.schema();
      expect(before.current).toBe(0);
      expect(await repo.migrate()).toEqual({ from: 0, to: before.latest });
      expect(await repo.schema()).toEqual({ current: before.latest, latest: before.latest });
      expect(await repo.migrate()).toEqual({ from: before.latest, to: before.latest });
      await repo.ping();
    });

    it('round-trips every entity exactly (JSON, booleans, nulls, epoch ms, UTF-8)', async () => {
      for (const entity of Object.keys(SAMPLES) as EntityName[]) {
        const row = SAMPLES[entity];
        await repo.write([{ op: 'put', entity, row } as never]);
        const key = Object.fromEntries((ENTITIES[entity].key as readonly string[]).map((k) => [k, (row as Record<string, unknown>)[k]]));
        expect(await repo.get(entity, key as never), entity).toEqual(row);
        expect((await repo.list(entity)).rows, entity).toContainEqual(row);
      }
    });

    it('upserts on the key, removes by key, and keys composite rows by every key field', async () => {
      const g = { ...SAMPLES.gateways, enabled: false, config: { changed: true } };
      await repo.write([{ op: 'put', entity: 'gateways', row: g }]);
      expect((await repo.list('gateways')).rows.filter((x) => x.id === g.id)).toEqual([g]);
      const other = { ...SAMPLES.hubOverrides, hub_id: 'hub-c' };
      await repo.write([{ op: 'put', entity: 'hubOverrides', row: other }]);
      expect((await repo.list('hubOverrides')).rows).toHaveLength(2);
      await repo.write([{ op: 'remove', entity: 'hubOverrides', key: { hub_id: 'hub-c', key: 'cleansing' } }]);
      expect((await repo.list('hubOverrides')).rows).toEqual([SAMPLES.hubOverrides]);
      await repo.write([{ op: 'remove', entity: 'gateways', key: { id: 'nope' } }]); // removing what is not there is fine
      expect(await repo.get('gateways', { id: 'nope' })).toBeUndefined();
    });

    it("keeps an account's enabled flag both ways", async () => {
      for (const enabled of [true, false, true]) {
        const row = { ...SAMPLES.accounts, id: 'acct-flag', enabled };
        await repo.write([{ op: 'put', entity: 'accounts', row }]);
        expect(await repo.get('accounts', { id: 'acct-flag' })).toEqual(row);
        expect((await repo.list('accounts')).rows.find((a) => a.id === 'acct-flag')?.enabled).toBe(enabled);
      }
      await repo.write([{ op: 'remove', entity: 'accounts', key: { id: 'acct-flag' } }]);
    });

    it('compares keys exactly: A and a are two rows', async () => {
      await repo.write([{ op: 'put', entity: 'gateways', row: { ...SAMPLES.gateways, id: 'Case' } }, { op: 'put', entity: 'gateways', row: { ...SAMPLES.gateways, id: 'case', enabled: false } }]);
      expect((await repo.get('gateways', { id: 'Case' }))?.enabled).toBe(true);
      expect((await repo.get('gateways', { id: 'case' }))?.enabled).toBe(false);
      await repo.write([{ op: 'remove', entity: 'gateways', key: { id: 'Case' } }, { op: 'remove', entity: 'gateways', key: { id: 'case' } }]);
    });

    it('lists groups in claim order (ord, then name)', async () => {
      const mk = (name: string, ord: number): GroupRecord => ({ ...SAMPLES.groups, name, ord });
      await repo.write([{ op: 'put', entity: 'groups', row: mk('zz', 0) }, { op: 'put', entity: 'groups', row: mk('aa', 5) }, { op: 'put', entity: 'groups', row: mk('bb', 0) }]);
      expect((await repo.list('groups')).rows.map((g) => g.name)).toEqual(['bb', 'zz', 'shfe', 'aa']);
      await repo.write(['zz', 'aa', 'bb'].map((name) => ({ op: 'remove' as const, entity: 'groups' as const, key: { name } })));
    });

    it('bumps the configuration revision once per batch of configuration writes, never for users or the audit log', async () => {
      const r0 = await repo.revision();
      await repo.write([{ op: 'put', entity: 'settings', row: { key: 'a', value: 1, updated_at: T } }, { op: 'put', entity: 'settings', row: { key: 'b', value: 2, updated_at: T } }]);
      expect(await repo.revision()).toBe(r0 + 1);
      await repo.write([{ op: 'put', entity: 'users', row: { ...SAMPLES.users, username: 'ops' } }]);
      await repo.appendAudit({ ts: T, actor: 'test', action: 'x', target: 'y', details: {}, hub_id: null });
      expect(await repo.revision()).toBe(r0 + 1);
      await repo.write([{ op: 'remove', entity: 'settings', key: { key: 'a' } }]);
      expect(await repo.revision()).toBe(r0 + 2);
    });

    it('refuses a row that does not match its schema before writing anything of the batch', async () => {
      const ok = { ...SAMPLES.gateways, id: 'batch-ok' };
      const bad = { ...SAMPLES.gateways, id: 'bad id with spaces' };
      const r0 = await repo.revision();
      expect(await codeOf(repo.write([{ op: 'put', entity: 'gateways', row: ok }, { op: 'put', entity: 'gateways', row: bad }]))).toBe('MDH_ERR_DB_BAD_ROW');
      expect(await repo.get('gateways', { id: 'batch-ok' })).toBeUndefined();
      expect(await repo.revision()).toBe(r0);
      expect(await codeOf(repo.write([{ op: 'put', entity: 'groups', row: { ...SAMPLES.groups, instruments: ['garbage'] } }]))).toBe('MDH_ERR_DB_BAD_ROW');
    });

    it('inserts an incident once across writers (de-duplication)', async () => {
      const row = { ...SAMPLES.alertIncidents, incident_key: 'calendar_ending:2026-12-04' };
      const results = await Promise.all([repo.insertIfAbsent('alertIncidents', row), repo.insertIfAbsent('alertIncidents', row), repo.insertIfAbsent('alertIncidents', row)]);
      expect(results.filter(Boolean)).toHaveLength(1);
      expect(await repo.get('alertIncidents', { incident_key: row.incident_key })).toEqual(row);
    });

    it('appends to the audit log and queries it newest first, by action, time and limit', async () => {
      for (let i = 0; i < 5; i++) await repo.appendAudit({ ts: T + 1000 + i, actor: 'cli:ops', action: i % 2 ? 'gateway.add' : 'account.set', target: `t${i}`, details: { i }, hub_id: i === 0 ? null : 'hub-a' });
      const recent = await repo.audit({ since: T + 1000, limit: 3 });
      expect(recent.map((e) => e.target)).toEqual(['t4', 't3', 't2']);
      expect((await repo.audit({ action: 'gateway.add', since: T + 1000 })).map((e) => e.target)).toEqual(['t3', 't1']);
      expect((await repo.audit({ since: T + 1000 })).find((e) => e.target === 't0')).toEqual({ ts: T + 1000, actor: 'cli:ops', action: 'account.set', target: 't0', details: { i: 0 }, hub_id: null });
    });

    it('reports a malformed row (a hand edit) in bad and keeps listing the others', async () => {
      await backend.corrupt(repo, 'gateways', 'garbled');
      const { rows, bad } = await repo.list('gateways');
      expect(rows.map((g) => g.id)).toContain(SAMPLES.gateways.id);
      expect(bad).toEqual([expect.objectContaining({ table: 'gateways', key: 'garbled' })]);
      expect(await codeOf(repo.get('gateways', { id: 'garbled' }))).toBe('MDH_ERR_DB_BAD_ROW');
    });
  });
}
