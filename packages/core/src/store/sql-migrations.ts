/**
 * Versioned migrations of the SQL adapters. Version N is applied once and recorded in `mdhub_schema`.
 * The foundation's tables are migration 1, so a `.mdhub` made before versioned migrations keeps
 * working: it is recognised as version 1 and migrated on from there.
 */
import type { Knex } from 'knex';
import { AUDIT_FIELDS, ENTITIES } from './schema.js';
import type { EntityDef, FieldDef } from './schema.js';

export interface SqlMigration {
  name: string;
  up(db: Knex.Transaction, backend: 'sqlite' | 'mysql'): Promise<void>;
}

/** True when the database holds the foundation's tables (no `mdhub_schema` yet). */
export async function hasFoundationSchema(db: Knex): Promise<boolean> {
  return (await db.schema.hasTable('gateways')) && (await db.schema.hasTable('instrument_groups'));
}

function column(t: Knex.CreateTableBuilder | Knex.AlterTableBuilder, name: string, f: FieldDef): Knex.ColumnBuilder {
  let c: Knex.ColumnBuilder;
  switch (f.type) {
    case 'key':
    case 'string': c = t.string(name, f.length ?? 255); break;
    case 'text': c = t.text(name); break;
    case 'json': c = t.text(name, 'mediumtext'); break; // mediumtext on MySQL (16 MB); SQLite ignores it
    case 'bool': c = t.boolean(name); break;
    case 'int': c = t.integer(name); break;
    case 'ms': c = t.bigInteger(name); break;
  }
  return f.nullable ? c.nullable() : c.notNullable();
}

async function createEntityTable(db: Knex.Transaction, def: EntityDef<unknown>): Promise<void> {
  await db.schema.createTable(def.table, (t) => {
    for (const [name, f] of Object.entries(def.fields) as Array<[string, FieldDef]>) column(t, name, f);
    t.primary([...def.key] as string[]);
  });
}

const asDef = (d: unknown): EntityDef<unknown> => d as EntityDef<unknown>;

export const SQL_MIGRATIONS: readonly SqlMigration[] = [
  {
    name: 'foundation',
    async up(db) {
      await db.schema.createTable('gateways', (t) => {
        t.string('id', 40).primary();
        t.string('plugin', 255).notNullable();
        t.boolean('enabled').notNullable().defaultTo(true);
        t.integer('priority').notNullable().defaultTo(0);
        t.text('config').notNullable();
      });
      await db.schema.createTable('instrument_groups', (t) => {
        t.string('name', 80).primary();
        t.string('policy', 16).notNullable();
        t.text('instruments').notNullable();
        t.text('sources').notNullable();
        t.integer('ord').notNullable().defaultTo(0);
      });
      await db.schema.createTable('settings', (t) => {
        t.string('key', 80).primary();
        t.text('value').notNullable();
      });
    },
  },
  {
    name: 'storage-and-plugins',
    async up(db) {
      const now = Date.now();
      for (const e of ['accounts', 'plugins', 'users', 'hubOverrides', 'calendarOverrides', 'alertIncidents'] as const) await createEntityTable(db, asDef(ENTITIES[e]));
      await db.schema.createTable('audit_log', (t) => {
        t.bigIncrements('id').primary();
        for (const [name, f] of Object.entries(AUDIT_FIELDS) as Array<[string, FieldDef]>) column(t, name, f);
        t.index(['ts']);
      });
      await db.schema.createTable('config_revision', (t) => {
        t.integer('id').primary();
        t.bigInteger('rev').notNullable();
      });
      await db('config_revision').insert({ id: 1, rev: 1 });

      // Gateways: account, hub pin, notes and times; priority moves to the groups' source lists.
      const gateways = (await db('gateways').select('id', 'plugin', 'priority').orderBy([{ column: 'priority' }, { column: 'id' }])) as Array<{ id: string; plugin: string; priority: number }>;
      await db.schema.alterTable('gateways', (t) => {
        t.string('account_id', 40).nullable();
        t.string('hub_id', 32).nullable();
        t.text('notes').nullable();
        t.bigInteger('created_at').nullable();
        t.bigInteger('updated_at').nullable();
      });
      await db('gateways').update({ notes: '', created_at: now, updated_at: now });
      const plugins = [...new Set(gateways.map((g) => g.plugin))];
      for (const p of plugins) await db('plugins').insert({ package: p, kind: 'gateway', enabled: 1, config: '{}', created_at: now, updated_at: now });

      // Groups: sources become [{gateway, priority}]; a priority group that listed none fed by gateway priority, which it now lists.
      await db.schema.alterTable('instrument_groups', (t) => {
        t.text('canaries', 'mediumtext').nullable();
        t.text('cleansing', 'mediumtext').nullable();
        t.bigInteger('created_at').nullable();
        t.bigInteger('updated_at').nullable();
      });
      const groups = (await db('instrument_groups').select('name', 'policy', 'sources')) as Array<{ name: string; policy: string; sources: string }>;
      for (const g of groups) {
        let ids: unknown = [];
        try {
          ids = JSON.parse(g.sources);
        } catch { /* a malformed row stays malformed: the store reports it */ }
        let list = Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
        if (list.length === 0 && g.policy === 'priority') list = gateways.map((x) => x.id);
        const sources = Array.isArray(ids) ? JSON.stringify(list.map((gateway, i) => ({ gateway, priority: i + 1 }))) : g.sources;
        await db('instrument_groups').where({ name: g.name }).update({ sources, canaries: '[]', cleansing: '{}', created_at: now, updated_at: now });
      }
      await db.schema.alterTable('gateways', (t) => {
        t.dropColumn('priority');
      });

      await db.schema.alterTable('settings', (t) => {
        t.bigInteger('updated_at').nullable();
      });
      await db('settings').update({ updated_at: now });
    },
  },
];
