import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { z } from 'zod';
import { MdhubError } from '../errors.js';
import type { GroupConfig } from '../dataplane/arbiter.js';

/** A gateway instance row. */
export interface GatewayRow {
  id: string;
  plugin: string;
  enabled: boolean;
  priority: number;
  config: unknown;
}

const GatewayRowSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'id: 1-40 letters, digits, _ or -'),
  plugin: z.string().min(1),
  enabled: z.union([z.boolean(), z.number()]).transform((v) => Boolean(v)),
  priority: z.number().int(),
  config: z.string().transform((s, ctx) => {
    try {
      return JSON.parse(s) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'config is not JSON' });
      return z.NEVER;
    }
  }),
});

const GroupRowSchema = z.object({
  name: z.string().min(1),
  policy: z.enum(['race', 'priority']),
  instruments: z.string(),
  sources: z.string(),
}).transform((r, ctx) => {
  try {
    const instruments = z.array(z.string()).parse(JSON.parse(r.instruments));
    const sources = z.array(z.string()).parse(JSON.parse(r.sources));
    return { name: r.name, policy: r.policy, instruments, sources } satisfies GroupConfig;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'instruments/sources must be JSON arrays of strings' });
    return z.NEVER;
  }
});

export interface BadRow {
  table: string;
  key: string;
  reason: string;
}

/**
 * The configuration store. This foundation ships the SQLite adapter (embedded default, knex +
 * better-sqlite3); MySQL and MongoDB adapters come with the storage issue behind the same interface.
 */
export class Store {
  private constructor(private readonly db: Knex, readonly url: string, readonly created: boolean) {}

  /** Opens (and creates when missing) the database at `url`: `sqlite:PATH` or a plain file path. */
  static async open(url: string): Promise<Store> {
    let file: string;
    if (url.startsWith('sqlite:')) file = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new MdhubError('MDH_ERR_DB_UNSUPPORTED_URL', { url: redact(url), reason: 'this build supports sqlite: only (MySQL and MongoDB arrive with the storage issue)' });
    else file = url;
    const created = !fs.existsSync(file);
    if (created) fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const db = knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
    try {
      await db.raw('select 1');
    } catch (err) {
      await db.destroy();
      throw new MdhubError('MDH_ERR_DB_UNREACHABLE', { url: redact(url), reason: (err as Error).message }, err);
    }
    const store = new Store(db, url, created);
    await store.migrate();
    return store;
  }

  private async migrate(): Promise<void> {
    const db = this.db;
    if (!(await db.schema.hasTable('gateways'))) {
      await db.schema.createTable('gateways', (t) => {
        t.string('id', 40).primary();
        t.string('plugin', 200).notNullable();
        t.boolean('enabled').notNullable().defaultTo(true);
        t.integer('priority').notNullable().defaultTo(0);
        t.text('config').notNullable().defaultTo('{}');
      });
    }
    if (!(await db.schema.hasTable('instrument_groups'))) {
      await db.schema.createTable('instrument_groups', (t) => {
        t.string('name', 80).primary();
        t.string('policy', 16).notNullable();
        t.text('instruments').notNullable();
        t.text('sources').notNullable();
        t.integer('ord').notNullable().defaultTo(0);
      });
    }
    if (!(await db.schema.hasTable('settings'))) {
      await db.schema.createTable('settings', (t) => {
        t.string('key', 80).primary();
        t.text('value').notNullable();
      });
    }
  }

  /** True when the database holds no gateway instance yet. */
  async isEmpty(): Promise<boolean> {
    const r = await this.db('gateways').count<{ n: number }[]>({ n: '*' });
    return Number(r[0]?.n ?? 0) === 0;
  }

  async putGateway(row: GatewayRow): Promise<void> {
    await this.db('gateways')
      .insert({ id: row.id, plugin: row.plugin, enabled: row.enabled, priority: row.priority, config: JSON.stringify(row.config ?? {}) })
      .onConflict('id').merge();
  }

  async putGroup(g: GroupConfig, ord = 0): Promise<void> {
    await this.db('instrument_groups')
      .insert({ name: g.name, policy: g.policy, instruments: JSON.stringify(g.instruments), sources: JSON.stringify(g.sources), ord })
      .onConflict('name').merge();
  }

  async putSetting(key: string, value: unknown): Promise<void> {
    await this.db('settings').insert({ key, value: JSON.stringify(value) }).onConflict('key').merge();
  }

  async getSetting<T>(key: string): Promise<T | undefined> {
    const r = await this.db('settings').where({ key }).first<{ value: string } | undefined>();
    if (!r) return undefined;
    try {
      return JSON.parse(r.value) as T;
    } catch {
      return undefined;
    }
  }

  /** Gateway rows by priority. Malformed rows are skipped and reported in `bad`, never fatal. */
  async gateways(): Promise<{ rows: GatewayRow[]; bad: BadRow[] }> {
    const raw = await this.db('gateways').select('*').orderBy([{ column: 'priority' }, { column: 'id' }]);
    const rows: GatewayRow[] = [];
    const bad: BadRow[] = [];
    for (const r of raw as Record<string, unknown>[]) {
      const p = GatewayRowSchema.safeParse(r);
      if (p.success) rows.push(p.data);
      else bad.push({ table: 'gateways', key: String(r['id']), reason: p.error.issues.map((i) => i.message).join('; ') });
    }
    return { rows, bad };
  }

  async groups(): Promise<{ rows: GroupConfig[]; bad: BadRow[] }> {
    const raw = await this.db('instrument_groups').select('*').orderBy('ord');
    const rows: GroupConfig[] = [];
    const bad: BadRow[] = [];
    for (const r of raw as Record<string, unknown>[]) {
      const p = GroupRowSchema.safeParse(r);
      if (p.success) rows.push(p.data);
      else bad.push({ table: 'instrument_groups', key: String(r['name']), reason: p.error.issues.map((i) => i.message).join('; ') });
    }
    return { rows, bad };
  }

  /** Raw access for tests and tools. */
  get knex(): Knex {
    return this.db;
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
