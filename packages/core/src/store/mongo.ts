/**
 * The MongoDB adapter of the repository (the official driver). Each entity is a collection with a
 * JSON-schema validator and a unique index on its key; the configuration revision is one document
 * bumped with `$inc` (a standalone mongod has no multi-document transactions, so a batch is applied
 * in order and the revision bumped after it). Migrations are versioned in `mdhub_schema`.
 */
import type { Db, Document, MongoClient } from 'mongodb';
import { MdhubError } from '../errors.js';
import type { AuditQuery, ConfigRepository, SchemaState, WriteOp } from './repository.js';
import { AUDIT_FIELDS, AuditSchema, ENTITIES, issues, keyString } from './schema.js';
import type { AuditRecord, EntityDef, EntityName, FieldDef, RowOf, Rows } from './schema.js';
import type { DbTarget } from './url.js';
import { redactUrl } from './url.js';

type MongoTarget = Extract<DbTarget, { backend: 'mongodb' }>;

/** The `$jsonSchema` validator of an entity's documents (built from the same field definitions as the SQL columns). */
export function jsonSchemaOf(fields: Readonly<Record<string, FieldDef>>, required: readonly string[]): Document {
  const properties: Record<string, Document> = {};
  for (const [name, f] of Object.entries(fields)) {
    let bsonType: string | string[] | undefined;
    switch (f.type) {
      case 'key':
      case 'string':
      case 'text': bsonType = 'string'; break;
      case 'bool': bsonType = 'bool'; break;
      case 'int':
      case 'ms': bsonType = ['int', 'long', 'double']; break;
      case 'json': bsonType = f.bson; break;
    }
    if (bsonType === undefined) {
      properties[name] = {};
      continue;
    }
    const types = Array.isArray(bsonType) ? bsonType : [bsonType];
    properties[name] = { bsonType: f.nullable ? [...types, 'null'] : (types.length === 1 ? types[0]! : types) };
    if ((f.type === 'key' || f.type === 'string') && f.length) properties[name] = { ...properties[name], maxLength: f.length };
  }
  return { $jsonSchema: { bsonType: 'object', required: [...required], properties } };
}

/** The `_id` of an entity document: its key as one string. */
export function documentId<T>(def: EntityDef<T>, row: Partial<T>): string {
  return keyString(def, row);
}

const COLLECTIONS = Object.values(ENTITIES).map((d) => (d as EntityDef<unknown>).table);

interface MongoMigration {
  name: string;
  up(db: Db): Promise<void>;
}

async function ensureCollection(db: Db, name: string, validator: Document): Promise<void> {
  const exists = (await db.listCollections({ name }, { nameOnly: true }).toArray()).length > 0;
  if (exists) await db.command({ collMod: name, validator, validationLevel: 'strict', validationAction: 'error' });
  else await db.createCollection(name, { validator, validationLevel: 'strict', validationAction: 'error' });
}

/**
 * Fields a later step adds to an entity that step 2 validates from its current fields. Step 2 leaves them
 * out, so running steps 1..N always makes version N's validators, and the step that adds a field is the one
 * place that fills it in for existing documents.
 */
const ADDED_LATER: Readonly<Record<string, readonly string[]>> = { accounts: ['enabled'] };

/** An entity's fields as of step 2 (see {@link ADDED_LATER}). */
function fieldsAtStep2(d: EntityDef<unknown>): Record<string, FieldDef> {
  const later = new Set(ADDED_LATER[d.table] ?? []);
  return Object.fromEntries(Object.entries(d.fields as Record<string, FieldDef>).filter(([name]) => !later.has(name)));
}

export const MONGO_MIGRATIONS: readonly MongoMigration[] = [
  {
    name: 'foundation',
    async up() { /* the foundation was SQLite only: nothing to create */ },
  },
  {
    name: 'storage-and-plugins',
    async up(db) {
      for (const d of Object.values(ENTITIES) as Array<EntityDef<unknown>>) {
        const fields = fieldsAtStep2(d);
        // Every field is present in every document (a nullable one as null), as every SQL column is.
        await ensureCollection(db, d.table, jsonSchemaOf(fields, Object.keys(fields)));
        // _id is the key; a unique index on the key fields as well (what SQL's primary key gives).
        await db.collection(d.table).createIndex(Object.fromEntries(d.key.map((k) => [k, 1])), { unique: true, name: `${d.table}_key` });
      }
      await ensureCollection(db, 'audit_log', jsonSchemaOf(AUDIT_FIELDS, Object.keys(AUDIT_FIELDS)));
      await db.collection('audit_log').createIndex({ ts: -1 }, { name: 'audit_ts' });
      await db.collection('instrument_groups').createIndex({ ord: 1, name: 1 }, { name: 'groups_order' });
      await db.collection<{ _id: string; rev: number }>('meta').updateOne({ _id: 'revision' }, { $setOnInsert: { rev: 1 } }, { upsert: true });
    },
  },
  {
    name: 'account-enabled',
    async up(db) {
      // An account can be taken out of use (locked or expired at the broker); every existing one stays in use.
      // Bypassing validation: a hand-edited document that fails its validator must not stop the migration (the store reports it).
      await db.collection('accounts').updateMany({ enabled: { $exists: false } }, { $set: { enabled: true } }, { bypassDocumentValidation: true });
      const fields = ENTITIES.accounts.fields as Record<string, FieldDef>;
      await ensureCollection(db, 'accounts', jsonSchemaOf(fields, Object.keys(fields)));
    },
  },
];

export class MongoRepository implements ConfigRepository {
  readonly backend = 'mongodb' as const;
  readonly url: string;
  private client: MongoClient | null = null;
  private dbh: Db | null = null;

  constructor(private readonly target: MongoTarget, private readonly opts: { serverSelectionTimeoutMs?: number } = {}) {
    this.url = redactUrl(target.url);
  }

  private get db(): Db {
    if (!this.dbh) throw new MdhubError('MDH_ERR_DB_UNREACHABLE', { url: this.url, reason: 'not connected' });
    return this.dbh;
  }

  async connect(): Promise<void> {
    if (this.client) return;
    // The driver loads only when a MongoDB URL is configured.
    const { MongoClient: Client } = await import('mongodb');
    const client = new Client(this.target.uri, { serverSelectionTimeoutMS: this.opts.serverSelectionTimeoutMs ?? 5000, ignoreUndefined: true });
    try {
      await client.connect();
      await client.db(this.target.database).command({ ping: 1 });
    } catch (err) {
      await client.close().catch(() => {});
      throw new MdhubError('MDH_ERR_DB_UNREACHABLE', {
        url: this.url, backend: 'mongodb', reason: `${(err as Error).message}: is mongod running and reachable at the URL's host? (${this.url})`,
      }, err);
    }
    this.client = client;
    this.dbh = client.db(this.target.database);
  }

  async ping(): Promise<void> {
    try {
      await this.db.command({ ping: 1 });
    } catch (err) {
      throw new MdhubError('MDH_ERR_DB_UNREACHABLE', { url: this.url, backend: 'mongodb', reason: (err as Error).message }, err);
    }
  }

  async schema(): Promise<SchemaState> {
    const top = await this.db.collection<{ _id: number }>('mdhub_schema').find().sort({ _id: -1 }).limit(1).toArray();
    return { current: top[0]?._id ?? 0, latest: MONGO_MIGRATIONS.length };
  }

  async migrate(): Promise<{ from: number; to: number }> {
    const { current, latest } = await this.schema();
    if (current > latest) throw new MdhubError('MDH_ERR_DB_SCHEMA_NEWER', { url: this.url, schema: current, known: latest });
    for (let v = current + 1; v <= latest; v++) {
      const m = MONGO_MIGRATIONS[v - 1]!;
      await m.up(this.db);
      await this.db.collection<{ _id: number; name: string; applied_at: number }>('mdhub_schema').insertOne({ _id: v, name: m.name, applied_at: Date.now() });
    }
    return { from: current, to: latest };
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = null;
    this.dbh = null;
    await c?.close();
  }

  async revision(): Promise<number> {
    const d = await this.db.collection<{ _id: string; rev: number }>('meta').findOne({ _id: 'revision' });
    return Number(d?.rev ?? 0);
  }

  private def<E extends EntityName>(entity: E): EntityDef<RowOf<E>> {
    return ENTITIES[entity] as unknown as EntityDef<RowOf<E>>;
  }

  private decode<T>(def: EntityDef<T>, doc: Document): { row: T } | { bad: { table: string; key: string; reason: string } } {
    const { _id, ...rest } = doc;
    const p = def.schema.safeParse(rest);
    if (!p.success) return { bad: { table: def.table, key: String(_id), reason: issues(p.error) } };
    return { row: p.data };
  }

  async list<E extends EntityName>(entity: E): Promise<Rows<RowOf<E>>> {
    const def = this.def(entity);
    const sort: Record<string, 1> = entity === 'groups' ? { ord: 1, name: 1 } : Object.fromEntries(def.key.map((k) => [k, 1]));
    const out: Rows<RowOf<E>> = { rows: [], bad: [] };
    for (const doc of await this.db.collection(def.table).find().sort(sort).toArray()) {
      const d = this.decode(def, doc);
      if ('row' in d) out.rows.push(d.row);
      else out.bad.push(d.bad);
    }
    return out;
  }

  async get<E extends EntityName>(entity: E, key: Partial<RowOf<E>>): Promise<RowOf<E> | undefined> {
    const def = this.def(entity);
    const doc = await this.db.collection<Document>(def.table).findOne({ _id: documentId(def, key) as unknown as Document['_id'] });
    if (!doc) return undefined;
    const d = this.decode(def, doc);
    if ('bad' in d) throw new MdhubError('MDH_ERR_DB_BAD_ROW', { ...d.bad });
    return d.row;
  }

  private checked<T>(def: EntityDef<T>, row: T): T {
    const p = def.schema.safeParse(row);
    if (!p.success) throw new MdhubError('MDH_ERR_DB_BAD_ROW', { table: def.table, key: keyString(def, row as Partial<T>), reason: issues(p.error) });
    return p.data;
  }

  async write(ops: readonly WriteOp[]): Promise<void> {
    const prepared = ops.map((o) => {
      const def = ENTITIES[o.entity] as unknown as EntityDef<Record<string, unknown>>;
      return o.op === 'put'
        ? { op: 'put' as const, def, id: documentId(def, o.row as Record<string, unknown>), row: this.checked(def, o.row as Record<string, unknown>) }
        : { op: 'remove' as const, def, id: documentId(def, o.key as Record<string, unknown>) };
    });
    let bump = false;
    for (const p of prepared) {
      const c = this.db.collection<Document>(p.def.table);
      if (p.op === 'put') await c.replaceOne({ _id: p.id as unknown as Document['_id'] }, { _id: p.id, ...p.row }, { upsert: true });
      else await c.deleteOne({ _id: p.id as unknown as Document['_id'] });
      bump ||= p.def.revision;
    }
    if (bump) await this.db.collection<{ _id: string; rev: number }>('meta').updateOne({ _id: 'revision' }, { $inc: { rev: 1 } }, { upsert: true });
  }

  async insertIfAbsent<E extends EntityName>(entity: E, row: RowOf<E>): Promise<boolean> {
    const def = this.def(entity);
    const ok = this.checked(def, row);
    try {
      await this.db.collection<Document>(def.table).insertOne({ _id: documentId(def, ok) as unknown as Document['_id'], ...(ok as Record<string, unknown>) });
    } catch (err) {
      if ((err as { code?: unknown }).code === 11000) return false; // duplicate key
      throw err;
    }
    if (def.revision) await this.db.collection<{ _id: string; rev: number }>('meta').updateOne({ _id: 'revision' }, { $inc: { rev: 1 } }, { upsert: true });
    return true;
  }

  async appendAudit(entry: AuditRecord): Promise<void> {
    const p = AuditSchema.safeParse(entry);
    if (!p.success) throw new MdhubError('MDH_ERR_DB_BAD_ROW', { table: 'audit_log', reason: issues(p.error) });
    await this.db.collection('audit_log').insertOne({ ...p.data });
  }

  async audit(q: AuditQuery = {}): Promise<AuditRecord[]> {
    const filter: Document = {};
    if (q.since !== undefined) filter['ts'] = { $gte: q.since };
    if (q.actor !== undefined) filter['actor'] = q.actor;
    if (q.action !== undefined) filter['action'] = q.action;
    const docs = await this.db.collection('audit_log').find(filter).sort({ ts: -1, _id: -1 }).limit(Math.min(10_000, Math.max(1, q.limit ?? 100))).toArray();
    const out: AuditRecord[] = [];
    for (const { _id, ...rest } of docs) {
      void _id;
      const p = AuditSchema.safeParse(rest);
      if (p.success) out.push(p.data);
    }
    return out;
  }
}

/** Collections the adapter manages (for tools and tests). */
export const MONGO_COLLECTIONS = [...COLLECTIONS, 'audit_log', 'meta', 'mdhub_schema'];
