/**
 * Versioned migrations of the SQL adapters. Version N is applied once and recorded in `mdhub_schema`.
 * The foundation's tables are migration 1, so a `.mdhub` made before versioned migrations keeps
 * working: it is recognised as version 1 and migrated on from there. Each step checks what exists
 * before it creates or alters: MySQL commits every DDL statement, so a step that failed halfway is run
 * again from the top and must not trip over what it already made.
 */
import type { Knex } from 'knex';
import { AUDIT_FIELDS, ENTITIES } from './schema.js';
import type { EntityDef, FieldDef } from './schema.js';

type Backend = 'sqlite' | 'mysql';

export interface SqlMigration {
  name: string;
  up(db: Knex.Transaction, backend: Backend): Promise<void>;
}

/** True when the database holds the foundation's tables (no `mdhub_schema` yet). */
export async function hasFoundationSchema(db: Knex): Promise<boolean> {
  return (await db.schema.hasTable('gateways')) && (await db.schema.hasTable('instrument_groups'));
}

/** A key column: binary collation on MySQL, so ids compare as SQLite and MongoDB compare them (`A` is not `a`). */
function keyColumn(c: Knex.ColumnBuilder, backend: Backend): Knex.ColumnBuilder {
  return backend === 'mysql' ? c.collate('utf8mb4_bin') : c;
}

function column(t: Knex.CreateTableBuilder | Knex.AlterTableBuilder, name: string, f: FieldDef, backend: Backend): Knex.ColumnBuilder {
  let c: Knex.ColumnBuilder;
  switch (f.type) {
    case 'key': c = keyColumn(t.string(name, f.length ?? 255), backend); break;
    case 'string': c = t.string(name, f.length ?? 255); break;
    case 'text': c = t.text(name); break;
    case 'json': c = t.text(name, 'mediumtext'); break; // mediumtext on MySQL (16 MB); SQLite ignores it
    case 'bool': c = t.boolean(name); break;
    case 'int': c = t.integer(name); break;
    case 'ms': c = t.bigInteger(name); break;
  }
  return f.nullable ? c.nullable() : c.notNullable();
}

/**
 * Columns a later step adds to a table that step 2 creates from its entity's current fields. Step 2 leaves
 * them out, so running steps 1..N always makes version N's schema, and the step that adds a column is the
 * one place that fills it in for existing rows.
 */
const ADDED_LATER: Readonly<Record<string, readonly string[]>> = { accounts: ['enabled'] };

async function createEntityTable(db: Knex.Transaction, def: EntityDef<unknown>, backend: Backend): Promise<void> {
  if (await db.schema.hasTable(def.table)) return;
  const later = new Set(ADDED_LATER[def.table] ?? []);
  await db.schema.createTable(def.table, (t) => {
    for (const [name, f] of Object.entries(def.fields) as Array<[string, FieldDef]>) if (!later.has(name)) column(t, name, f, backend);
    t.primary([...def.key] as string[]);
  });
}

/** Adds the columns a table lacks (nullable: existing rows are filled in by the step). */
async function addColumns(db: Knex.Transaction, table: string, cols: Array<[string, (t: Knex.AlterTableBuilder) => void]>): Promise<void> {
  const missing: Array<(t: Knex.AlterTableBuilder) => void> = [];
  for (const [name, add] of cols) if (!(await db.schema.hasColumn(table, name))) missing.push(add);
  if (missing.length > 0) await db.schema.alterTable(table, (t) => { for (const add of missing) add(t); });
}

const asDef = (d: unknown): EntityDef<unknown> => d as EntityDef<unknown>;

export const SQL_MIGRATIONS: readonly SqlMigration[] = [
  {
    name: 'foundation',
    async up(db, backend) {
      if (!(await db.schema.hasTable('gateways'))) {
        await db.schema.createTable('gateways', (t) => {
          keyColumn(t.string('id', 40), backend).primary();
          t.string('plugin', 255).notNullable();
          t.boolean('enabled').notNullable().defaultTo(true);
          t.integer('priority').notNullable().defaultTo(0);
          t.text('config').notNullable();
        });
      }
      if (!(await db.schema.hasTable('instrument_groups'))) {
        await db.schema.createTable('instrument_groups', (t) => {
          keyColumn(t.string('name', 80), backend).primary();
          t.string('policy', 16).notNullable();
          t.text('instruments').notNullable();
          t.text('sources').notNullable();
          t.integer('ord').notNullable().defaultTo(0);
        });
      }
      if (!(await db.schema.hasTable('settings'))) {
        await db.schema.createTable('settings', (t) => {
          keyColumn(t.string('key', 80), backend).primary();
          t.text('value').notNullable();
        });
      }
    },
  },
  {
    name: 'storage-and-plugins',
    async up(db, backend) {
      const now = Date.now();
      for (const e of ['accounts', 'plugins', 'users', 'hubOverrides', 'calendarOverrides', 'alertIncidents'] as const) await createEntityTable(db, asDef(ENTITIES[e]), backend);
      if (!(await db.schema.hasTable('audit_log'))) {
        await db.schema.createTable('audit_log', (t) => {
          t.bigIncrements('id').primary();
          for (const [name, f] of Object.entries(AUDIT_FIELDS) as Array<[string, FieldDef]>) column(t, name, f, backend);
          t.index(['ts']);
        });
      }
      if (!(await db.schema.hasTable('config_revision'))) {
        await db.schema.createTable('config_revision', (t) => {
          t.integer('id').primary();
          t.bigInteger('rev').notNullable();
        });
      }
      if (!(await db('config_revision').where({ id: 1 }).first())) await db('config_revision').insert({ id: 1, rev: 1 });

      // Gateways: account, hub pin, notes and times; priority moves to the groups' source lists.
      const hasPriority = await db.schema.hasColumn('gateways', 'priority');
      const gateways = (await db('gateways').select(hasPriority ? ['id', 'plugin', 'priority'] : ['id', 'plugin'])
        .orderBy(hasPriority ? [{ column: 'priority' }, { column: 'id' }] : [{ column: 'id' }])) as Array<{ id: string; plugin: string }>;
      await addColumns(db, 'gateways', [
        ['account_id', (t) => t.string('account_id', 40).nullable()],
        ['hub_id', (t) => t.string('hub_id', 32).nullable()],
        ['notes', (t) => t.text('notes').nullable()],
        ['created_at', (t) => t.bigInteger('created_at').nullable()],
        ['updated_at', (t) => t.bigInteger('updated_at').nullable()],
      ]);
      await db('gateways').whereNull('notes').update({ notes: '' });
      await db('gateways').whereNull('created_at').update({ created_at: now, updated_at: now });
      for (const p of new Set(gateways.map((g) => g.plugin))) {
        if (!(await db('plugins').where({ package: p }).first())) await db('plugins').insert({ package: p, kind: 'gateway', enabled: 1, config: '{}', created_at: now, updated_at: now });
      }

      // Groups: sources become [{gateway, priority}]; a priority group that listed none fed by gateway priority, which it now lists.
      await addColumns(db, 'instrument_groups', [
        ['canaries', (t) => t.text('canaries', 'mediumtext').nullable()],
        ['cleansing', (t) => t.text('cleansing', 'mediumtext').nullable()],
        ['created_at', (t) => t.bigInteger('created_at').nullable()],
        ['updated_at', (t) => t.bigInteger('updated_at').nullable()],
      ]);
      const groups = (await db('instrument_groups').select('name', 'policy', 'sources', 'canaries')) as Array<{ name: string; policy: string; sources: string; canaries: string | null }>;
      for (const g of groups) {
        let ids: unknown = null;
        try {
          ids = JSON.parse(g.sources);
        } catch { /* a malformed row stays malformed: the store reports it */ }
        let sources = g.sources;
        if (Array.isArray(ids) && ids.every((x) => typeof x === 'string')) {
          let list = ids as string[];
          if (list.length === 0 && g.policy === 'priority' && hasPriority) list = gateways.map((x) => x.id);
          sources = JSON.stringify(list.map((gateway, i) => ({ gateway, priority: i + 1 })));
        }
        if (g.canaries === null || sources !== g.sources) {
          await db('instrument_groups').where({ name: g.name }).update({ sources, canaries: g.canaries ?? '[]', cleansing: '{}', created_at: now, updated_at: now });
        }
      }
      if (hasPriority) {
        await db.schema.alterTable('gateways', (t) => {
          t.dropColumn('priority');
        });
      }

      await addColumns(db, 'settings', [['updated_at', (t) => t.bigInteger('updated_at').nullable()]]);
      await db('settings').whereNull('updated_at').update({ updated_at: now });
    },
  },
  {
    name: 'account-enabled',
    async up(db) {
      // An account can be taken out of use (locked or expired at the broker); every existing one stays in use.
      await addColumns(db, 'accounts', [['enabled', (t) => t.boolean('enabled').nullable()]]);
      await db('accounts').whereNull('enabled').update({ enabled: 1 });
    },
  },
];
