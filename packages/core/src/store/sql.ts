/**
 * The SQL adapter of the repository: SQLite (knex + better-sqlite3, the embedded default) and
 * MySQL/MariaDB (knex + mysql2), with versioned migrations (store/sql-migrations.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { MdhubError } from '../errors.js';
import type { AuditQuery, ConfigRepository, SchemaState, WriteOp } from './repository.js';
import { AUDIT_FIELDS, AuditSchema, ENTITIES, issues, keyString } from './schema.js';
import type { AuditRecord, BadRow, EntityDef, EntityName, FieldDef, RowOf, Rows } from './schema.js';
import { SQL_MIGRATIONS, hasFoundationSchema } from './sql-migrations.js';
import type { DbTarget } from './url.js';
import { redactUrl } from './url.js';

type SqlTarget = Extract<DbTarget, { backend: 'sqlite' | 'mysql' }>;

/** knex's own console output is off: its errors reach the caller as named errors, into the hub's log. */
const QUIET = { warn: (): void => {}, error: (): void => {}, deprecate: (): void => {}, debug: (): void => {} };

/** Encodes one field for a SQL column. */
function encodeField(f: FieldDef, v: unknown): unknown {
  if (v === undefined || v === null) return f.type === 'json' ? JSON.stringify(v ?? null) : null;
  switch (f.type) {
    case 'json': return JSON.stringify(v);
    case 'bool': return v ? 1 : 0;
    default: return v;
  }
}

/** Decodes one SQL column; throws with the field's name when it cannot. */
function decodeField(name: string, f: FieldDef, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  switch (f.type) {
    case 'json':
      try {
        return JSON.parse(String(v)) as unknown;
      } catch {
        throw new Error(`${name}: not JSON`);
      }
    case 'bool': return typeof v === 'number' || typeof v === 'bigint' ? Number(v) !== 0 : v;
    case 'int':
    case 'ms': return typeof v === 'string' || typeof v === 'bigint' ? Number(v) : v;
    default: return v;
  }
}

export function encodeRow<T>(def: EntityDef<T>, row: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(def.fields) as Array<[string, FieldDef]>) out[name] = encodeField(f, (row as Record<string, unknown>)[name]);
  return out;
}

/** Decodes and validates a raw row; a row that does not fit becomes a {@link BadRow}. */
export function decodeRow<T>(def: EntityDef<T>, raw: Record<string, unknown>): { row: T } | { bad: BadRow } {
  const obj: Record<string, unknown> = {};
  try {
    for (const [name, f] of Object.entries(def.fields) as Array<[string, FieldDef]>) obj[name] = decodeField(name, f, raw[name]);
  } catch (err) {
    return { bad: { table: def.table, key: keyString(def, raw as Partial<T>), reason: (err as Error).message } };
  }
  const p = def.schema.safeParse(obj);
  if (!p.success) return { bad: { table: def.table, key: keyString(def, raw as Partial<T>), reason: issues(p.error) } };
  return { row: p.data };
}

/** Why a connection failed, in words an operator can act on. */
function unreachable(target: SqlTarget, err: unknown): MdhubError {
  const e = err as { code?: string; message?: string };
  const url = redactUrl(target.url);
  let hint: string;
  if (target.backend === 'sqlite') hint = `check that ${target.file} is a SQLite file this user can read and write`;
  else if (e.code === 'ER_BAD_DB_ERROR') hint = `database ${target.database} does not exist on ${target.host}:${target.port}: CREATE DATABASE ${target.database}, then mdhub db migrate`;
  else if (e.code === 'ER_ACCESS_DENIED_ERROR') hint = `user ${target.user} was refused: check the user and password in the URL`;
  else hint = `is MySQL/MariaDB running at ${target.host}:${target.port}? check the URL (${url})`;
  return new MdhubError('MDH_ERR_DB_UNREACHABLE', { url, backend: target.backend, reason: `${e.message ?? String(err)}: ${hint}`, ...(e.code ? { driver_code: e.code } : {}) }, err);
}

export class SqlRepository implements ConfigRepository {
  readonly backend: 'sqlite' | 'mysql';
  readonly url: string;
  private db: Knex | null = null;

  constructor(private readonly target: SqlTarget, private readonly opts: { acquireTimeoutMs?: number } = {}) {
    this.backend = target.backend;
    this.url = redactUrl(target.url);
  }

  /** The knex instance (tests and tools). */
  get knex(): Knex {
    if (!this.db) throw new MdhubError('MDH_ERR_DB_UNREACHABLE', { url: this.url, reason: 'not connected' });
    return this.db;
  }

  async connect(): Promise<void> {
    if (this.db) return;
    const t = this.target;
    let db: Knex;
    if (t.backend === 'sqlite') {
      const dir = path.dirname(t.file);
      if (!fs.existsSync(dir)) fs.mkdirSync(dir, { recursive: true });
      db = knexFactory({ client: 'better-sqlite3', connection: { filename: t.file }, useNullAsDefault: true, pool: { min: 1, max: 1 }, log: QUIET });
    } else {
      db = knexFactory({
        client: 'mysql2',
        connection: { host: t.host, port: t.port, user: t.user, password: t.password, database: t.database, supportBigNumbers: true, connectTimeout: 5000, charset: 'utf8mb4' },
        pool: { min: 0, max: 4, idleTimeoutMillis: 30_000 },
        acquireConnectionTimeout: this.opts.acquireTimeoutMs ?? 5000,
        log: QUIET,
      });
    }
    try {
      await db.raw('select 1');
    } catch (err) {
      await db.destroy().catch(() => {});
      throw unreachable(t, err);
    }
    this.db = db;
  }

  async ping(): Promise<void> {
    try {
      await this.knex.raw('select 1');
    } catch (err) {
      throw unreachable(this.target, err);
    }
  }

  async schema(): Promise<SchemaState> {
    const db = this.knex;
    let current = 0;
    if (await db.schema.hasTable('mdhub_schema')) {
      const r = await db('mdhub_schema').max<{ v: number | null }[]>({ v: 'version' });
      current = Number(r[0]?.v ?? 0);
    } else if (await hasFoundationSchema(db)) {
      current = 1; // the foundation's tables, from before versioned migrations
    }
    return { current, latest: SQL_MIGRATIONS.length };
  }

  async migrate(): Promise<{ from: number; to: number }> {
    const db = this.knex;
    const { current, latest } = await this.schema();
    if (current > latest) throw new MdhubError('MDH_ERR_DB_SCHEMA_NEWER', { url: this.url, schema: current, known: latest });
    if (!(await db.schema.hasTable('mdhub_schema'))) {
      await db.schema.createTable('mdhub_schema', (t) => {
        t.integer('version').primary();
        t.string('name', 80).notNullable();
        t.bigInteger('applied_at').notNullable();
      });
    }
    if (current === 1 && !(await db('mdhub_schema').where({ version: 1 }).first())) {
      await db('mdhub_schema').insert({ version: 1, name: SQL_MIGRATIONS[0]!.name, applied_at: Date.now() });
    }
    for (let v = current + 1; v <= latest; v++) {
      const m = SQL_MIGRATIONS[v - 1]!;
      // SQLite runs DDL in the transaction; MySQL commits each DDL statement, so a step that failed halfway
      // runs again from the top (each step checks what exists before it creates or alters).
      await db.transaction(async (trx) => {
        await m.up(trx, this.backend);
        await trx('mdhub_schema').insert({ version: v, name: m.name, applied_at: Date.now() });
      });
    }
    return { from: current, to: latest };
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = null;
    await db?.destroy();
  }

  async revision(): Promise<number> {
    const r = await this.knex('config_revision').where({ id: 1 }).first<{ rev: number | string } | undefined>();
    return Number(r?.rev ?? 0);
  }

  async list<E extends EntityName>(entity: E): Promise<Rows<RowOf<E>>> {
    const def = ENTITIES[entity] as unknown as EntityDef<RowOf<E>>;
    let q = this.knex(def.table).select('*');
    for (const k of def.key) q = q.orderBy(k);
    if (entity === 'groups') q = this.knex(def.table).select('*').orderBy([{ column: 'ord' }, { column: 'name' }]);
    const out: Rows<RowOf<E>> = { rows: [], bad: [] };
    for (const raw of (await q) as Record<string, unknown>[]) {
      const d = decodeRow(def, raw);
      if ('row' in d) out.rows.push(d.row);
      else out.bad.push(d.bad);
    }
    return out;
  }

  async get<E extends EntityName>(entity: E, key: Partial<RowOf<E>>): Promise<RowOf<E> | undefined> {
    const def = ENTITIES[entity] as unknown as EntityDef<RowOf<E>>;
    const raw = await this.knex(def.table).where(this.where(def, key)).first<Record<string, unknown> | undefined>();
    if (!raw) return undefined;
    const d = decodeRow(def, raw);
    if ('bad' in d) throw new MdhubError('MDH_ERR_DB_BAD_ROW', { ...d.bad });
    return d.row;
  }

  private where<T>(def: EntityDef<T>, key: Partial<T>): Record<string, unknown> {
    const w: Record<string, unknown> = {};
    for (const k of def.key) {
      if (key[k] === undefined) throw new MdhubError('MDH_ERR_DB_BAD_ROW', { table: def.table, reason: `key field ${k} missing` });
      w[k] = key[k];
    }
    return w;
  }

  /** Validates a row before it is written: a caller never stores what a reader would skip. */
  private checked<T>(def: EntityDef<T>, row: T): T {
    const p = def.schema.safeParse(row);
    if (!p.success) throw new MdhubError('MDH_ERR_DB_BAD_ROW', { table: def.table, key: keyString(def, row as Partial<T>), reason: issues(p.error) });
    return p.data;
  }

  async write(ops: readonly WriteOp[]): Promise<void> {
    if (ops.length === 0) return;
    const prepared = ops.map((o) => {
      const def = ENTITIES[o.entity] as unknown as EntityDef<Record<string, unknown>>;
      return o.op === 'put'
        ? { op: 'put' as const, def, row: encodeRow(def, this.checked(def, o.row as Record<string, unknown>)) }
        : { op: 'remove' as const, def, where: this.where(def, o.key as Record<string, unknown>) };
    });
    await this.knex.transaction(async (trx) => {
      let bump = false;
      for (const p of prepared) {
        if (p.op === 'put') await trx(p.def.table).insert(p.row).onConflict(p.def.key as string[]).merge();
        else await trx(p.def.table).where(p.where).delete();
        bump ||= p.def.revision;
      }
      if (bump) await trx('config_revision').where({ id: 1 }).increment('rev', 1);
    });
  }

  async insertIfAbsent<E extends EntityName>(entity: E, row: RowOf<E>): Promise<boolean> {
    const def = ENTITIES[entity] as unknown as EntityDef<RowOf<E>>;
    const enc = encodeRow(def, this.checked(def, row));
    try {
      await this.knex.transaction(async (trx) => {
        await trx(def.table).insert(enc);
        if (def.revision) await trx('config_revision').where({ id: 1 }).increment('rev', 1);
      });
      return true;
    } catch (err) {
      const code = String((err as { code?: unknown }).code ?? '');
      if (code === 'ER_DUP_ENTRY' || code.startsWith('SQLITE_CONSTRAINT')) return false;
      throw err;
    }
  }

  async appendAudit(entry: AuditRecord): Promise<void> {
    const p = AuditSchema.safeParse(entry);
    if (!p.success) throw new MdhubError('MDH_ERR_DB_BAD_ROW', { table: 'audit_log', reason: issues(p.error) });
    const row: Record<string, unknown> = {};
    for (const [name, f] of Object.entries(AUDIT_FIELDS)) row[name] = encodeField(f, (p.data as Record<string, unknown>)[name]);
    await this.knex('audit_log').insert(row);
  }

  async audit(q: AuditQuery = {}): Promise<AuditRecord[]> {
    let query = this.knex('audit_log').select('*').orderBy('id', 'desc').limit(Math.min(10_000, Math.max(1, q.limit ?? 100)));
    if (q.since !== undefined) query = query.where('ts', '>=', q.since);
    if (q.actor !== undefined) query = query.where('actor', q.actor);
    if (q.action !== undefined) query = query.where('action', q.action);
    const out: AuditRecord[] = [];
    for (const raw of (await query) as Record<string, unknown>[]) {
      const obj: Record<string, unknown> = {};
      for (const [name, f] of Object.entries(AUDIT_FIELDS)) obj[name] = decodeField(name, f, raw[name]);
      const p = AuditSchema.safeParse(obj);
      if (p.success) out.push(p.data);
    }
    return out;
  }
}
