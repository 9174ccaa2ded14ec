/**
 * The repository contract on MongoDB, run when MDHUB_TEST_MONGO_URL names a server (each run uses a
 * database of its own on it). No MongoDB server can be installed on the machines this project is built
 * on, so without the variable the suite is skipped, and says so: the only skip CI allows. What needs no
 * server (the collections' JSON-schema validators) is checked always.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MONGO_MIGRATIONS, MongoRepository, jsonSchemaOf } from '../../src/store/mongo.js';
import { parseDbUrl } from '../../src/store/url.js';
import { ENTITIES } from '../../src/store/schema.js';
import { repositoryContract } from './contract.js';
import { MONGO_URL } from './databases.js';

describe('MongoDB validators (no server needed)', () => {
  it('require every field of an entity and type it as the SQL columns are typed', () => {
    const v = jsonSchemaOf(ENTITIES.gateways.fields, Object.keys(ENTITIES.gateways.fields)) as { $jsonSchema: { required: string[]; properties: Record<string, { bsonType?: unknown; maxLength?: number }> } };
    expect(v.$jsonSchema.required.sort()).toEqual(Object.keys(ENTITIES.gateways.fields).sort());
    expect(v.$jsonSchema.properties['id']).toEqual({ bsonType: 'string', maxLength: 40 });
    expect(v.$jsonSchema.properties['account_id']).toEqual({ bsonType: ['string', 'null'], maxLength: 40 });
    expect(v.$jsonSchema.properties['enabled']).toEqual({ bsonType: 'bool' });
    expect(v.$jsonSchema.properties['config']).toEqual({ bsonType: 'object' });
    expect(v.$jsonSchema.properties['created_at']).toEqual({ bsonType: ['int', 'long', 'double'] });
    const a = jsonSchemaOf(ENTITIES.accounts.fields, Object.keys(ENTITIES.accounts.fields)) as { $jsonSchema: { required: string[]; properties: Record<string, unknown> } };
    expect(a.$jsonSchema.required).toContain('enabled');
    expect(a.$jsonSchema.properties['enabled']).toEqual({ bsonType: 'bool' });
  });
});

if (!MONGO_URL) {
  console.log('MongoDB contract tests SKIPPED: MDHUB_TEST_MONGO_URL is not set (no MongoDB server can be installed here; set it to mongodb://HOST:PORT to run them)');
  describe.skip('repository contract: MongoDB (MDHUB_TEST_MONGO_URL not set)', () => { it('skipped', () => {}); });
} else {
  const made: MongoRepository[] = [];
  const freshRepo = (): MongoRepository => {
    const base = (MONGO_URL ?? '').replace(/\/[^/?]*(\?.*)?$/, '');
    const url = `${base}/mdhub_t_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
    const repo = new MongoRepository(parseDbUrl(url) as Extract<ReturnType<typeof parseDbUrl>, { backend: 'mongodb' }>);
    made.push(repo);
    return repo;
  };
  repositoryContract('MongoDB', {
    async fresh() {
      return freshRepo();
    },
    async corrupt(repo, entity, key) {
      if (entity !== 'gateways') throw new Error('only gateways');
      const db = (repo as unknown as { db: { collection(n: string): { insertOne(d: object, o: object): Promise<unknown> } } }).db;
      await db.collection('gateways').insertOne({ _id: key, id: key, plugin: 'x', config: 'not an object' }, { bypassDocumentValidation: true });
    },
    async cleanup() {
      for (const r of made) {
        const db = (r as unknown as { dbh: { dropDatabase(): Promise<unknown> } | null }).dbh;
        await db?.dropDatabase().catch(() => {});
      }
    },
  });

  describe('MongoDB: schema', () => {
    it('a database made by schema 2 migrates on: its accounts stay in use', async () => {
      const repo = freshRepo();
      await repo.connect();
      try {
        const db = (repo as unknown as { db: { collection(n: string): { insertOne(d: object): Promise<unknown> } } }).db;
        for (const [i, m] of MONGO_MIGRATIONS.slice(0, 2).entries()) {
          await m.up(db as never);
          await db.collection('mdhub_schema').insertOne({ _id: i + 1, name: m.name, applied_at: Date.now() });
        }
        await db.collection('accounts').insertOne({
          _id: 'simnow', id: 'simnow', kind: 'ctp', broker_id: '9999', user_id: '081234', fronts: ['tcp://180.168.146.187:10211'], app_id: '', notes: 'from schema 2',
          password_enc: null, auth_code_enc: null, created_at: 1_795_570_500_000, updated_at: 1_795_570_500_000,
        });
        expect(await repo.migrate()).toEqual({ from: 2, to: 3 });
        const a = await repo.list('accounts');
        expect(a.bad).toEqual([]);
        expect(a.rows).toEqual([expect.objectContaining({ id: 'simnow', enabled: true })]);
      } finally {
        await repo.close();
      }
    });
  });
}
