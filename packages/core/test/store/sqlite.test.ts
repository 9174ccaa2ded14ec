/** The repository contract on SQLite (the embedded default), and the foundation's databases migrating on. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import knexFactory from 'knex';
import { SqlRepository } from '../../src/store/sql.js';
import { openRepository } from '../../src/store/open.js';
import { parseDbUrl } from '../../src/store/url.js';
import { ENTITIES } from '../../src/store/schema.js';
import { repositoryContract } from './contract.js';
import { SCHEMA2_ACCOUNT, migrateSqlTo } from './previous-schema.js';

const dirs: string[] = [];
const sqlite = (file: string): SqlRepository => new SqlRepository(parseDbUrl(`sqlite:${file}`) as Extract<ReturnType<typeof parseDbUrl>, { backend: 'sqlite' }>);

repositoryContract('SQLite', {
  async fresh() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-store-'));
    dirs.push(dir);
    return sqlite(path.join(dir, 'a.sqlite'));
  },
  async corrupt(repo, entity, key) {
    const r = repo as SqlRepository;
    const now = Date.now();
    if (entity !== 'gateways') throw new Error('only gateways');
    await r.knex('gateways').insert({ id: key, plugin: 'x', account_id: null, enabled: 1, config: '{not json', hub_id: null, notes: '', created_at: now, updated_at: now });
  },
  async cleanup() {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  },
});

describe('SQLite: the foundation database migrates on', () => {
  it("a .mdhub made before versioned migrations keeps its gateways and groups, priorities moving into the groups' source lists", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-store-'));
    const file = path.join(dir, 'mdhub.sqlite');
    // The foundation's schema and rows, as its Store wrote them.
    const k = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    await k.schema.createTable('gateways', (t) => { t.string('id', 40).primary(); t.string('plugin', 200).notNullable(); t.boolean('enabled').notNullable().defaultTo(true); t.integer('priority').notNullable().defaultTo(0); t.text('config').notNullable().defaultTo('{}'); });
    await k.schema.createTable('instrument_groups', (t) => { t.string('name', 80).primary(); t.string('policy', 16).notNullable(); t.text('instruments').notNullable(); t.text('sources').notNullable(); t.integer('ord').notNullable().defaultTo(0); });
    await k.schema.createTable('settings', (t) => { t.string('key', 80).primary(); t.text('value').notNullable(); });
    await k('gateways').insert([
      { id: 'sim-c', plugin: '@mdhub/gateway-sim', enabled: 1, priority: 3, config: '{"latency":{"medianMs":5}}' },
      { id: 'sim-a', plugin: '@mdhub/gateway-sim', enabled: 1, priority: 1, config: '{}' },
      { id: 'sim-b', plugin: '@mdhub/gateway-sim', enabled: 0, priority: 2, config: '{}' },
    ]);
    await k('instrument_groups').insert([
      { name: 'default', policy: 'race', instruments: '["*"]', sources: '[]', ord: 1 },
      { name: 'cffex', policy: 'priority', instruments: '["*.CFFEX"]', sources: '[]', ord: 0 },
      { name: 'shfe', policy: 'priority', instruments: '["*.SHFE"]', sources: '["sim-b","sim-a"]', ord: 0 },
    ]);
    await k('settings').insert({ key: 'note', value: '"kept"' });
    await k.destroy();

    const repo = await openRepository(`sqlite:${file}`, { schema: 'auto' });
    try {
      expect(await repo.schema()).toEqual({ current: 3, latest: 3 });
      const g = await repo.list('gateways');
      expect(g.bad).toEqual([]);
      expect(g.rows.map((x) => [x.id, x.enabled, x.config])).toEqual([['sim-a', true, {}], ['sim-b', false, {}], ['sim-c', true, { latency: { medianMs: 5 } }]]);
      const groups = await repo.list('groups');
      expect(groups.bad).toEqual([]);
      const by = Object.fromEntries(groups.rows.map((x) => [x.name, x.sources]));
      expect(by['default']).toEqual([]); // race over every source, as before
      expect(by['cffex']).toEqual([{ gateway: 'sim-a', priority: 1 }, { gateway: 'sim-b', priority: 2 }, { gateway: 'sim-c', priority: 3 }]);
      expect(by['shfe']).toEqual([{ gateway: 'sim-b', priority: 1 }, { gateway: 'sim-a', priority: 2 }]);
      expect((await repo.list('plugins')).rows.map((p) => [p.package, p.kind, p.enabled])).toEqual([['@mdhub/gateway-sim', 'gateway', true]]);
      expect((await repo.get('settings', { key: 'note' }))?.value).toBe('kept');
      expect(await repo.revision()).toBe(1);
    } finally {
      await repo.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a database made by schema 2 migrates on: its accounts stay in use, and one can then be taken out of use', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-store-'));
    const file = path.join(dir, 'v2.sqlite');
    const old = sqlite(file);
    await old.connect();
    await migrateSqlTo(old.knex, 'sqlite', 2);
    expect(await old.knex.schema.hasColumn('accounts', 'enabled')).toBe(false); // as schema 2 made it
    await old.knex('accounts').insert(SCHEMA2_ACCOUNT);
    await old.close();

    const repo = await openRepository(`sqlite:${file}`, { schema: 'auto' });
    try {
      expect(await repo.schema()).toEqual({ current: 3, latest: 3 });
      const a = await repo.list('accounts');
      expect(a.bad).toEqual([]);
      expect(a.rows).toEqual([expect.objectContaining({ id: 'simnow', notes: 'from schema 2', enabled: true })]);
      await repo.write([{ op: 'put', entity: 'accounts', row: { ...a.rows[0]!, enabled: false } }]);
      expect((await repo.get('accounts', { id: 'simnow' }))?.enabled).toBe(false);
    } finally {
      await repo.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('after migrating, each table has exactly the columns its entity declares', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mdhub-store-'));
    const repo = sqlite(path.join(dir, 'c.sqlite'));
    await repo.connect();
    await repo.migrate();
    try {
      for (const def of Object.values(ENTITIES)) {
        const cols = Object.keys(await repo.knex(def.table).columnInfo()).sort();
        expect(cols, def.table).toEqual(Object.keys(def.fields).sort());
      }
    } finally {
      await repo.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
