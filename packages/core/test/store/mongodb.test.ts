/**
 * The repository contract on MongoDB, run when MDHUB_TEST_MONGO_URL names a server (each run uses a
 * database of its own on it). No MongoDB server can be installed on the machines this project is built
 * on, so without the variable the suite is skipped, and says so: the only skip CI allows. What needs no
 * server (the collections' JSON-schema validators) is checked always.
 */
import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MongoRepository, jsonSchemaOf } from '../../src/store/mongo.js';
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
  });
});

if (!MONGO_URL) {
  console.log('MongoDB contract tests SKIPPED: MDHUB_TEST_MONGO_URL is not set (no MongoDB server can be installed here; set it to mongodb://HOST:PORT to run them)');
  describe.skip('repository contract: MongoDB (MDHUB_TEST_MONGO_URL not set)', () => { it('skipped', () => {}); });
} else {
  const made: MongoRepository[] = [];
  repositoryContract('MongoDB', {
    async fresh() {
      const base = (MONGO_URL ?? '').replace(/\/[^/?]*(\?.*)?$/, '');
      const url = `${base}/mdhub_t_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
      const repo = new MongoRepository(parseDbUrl(url) as Extract<ReturnType<typeof parseDbUrl>, { backend: 'mongodb' }>);
      made.push(repo);
      return repo;
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
}
