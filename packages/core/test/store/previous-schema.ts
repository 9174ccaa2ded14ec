/**
 * A database as an earlier build left it: migration steps 1..`version` applied and recorded, as that
 * build's `migrate()` would have (each step creates only what existed at its version).
 */
import type { Knex } from 'knex';
import { SQL_MIGRATIONS } from '../../src/store/sql-migrations.js';

export async function migrateSqlTo(db: Knex, backend: 'sqlite' | 'mysql', version: number): Promise<void> {
  await db.schema.createTable('mdhub_schema', (t) => {
    t.integer('version').primary();
    t.string('name', 80).notNullable();
    t.bigInteger('applied_at').notNullable();
  });
  for (const [i, m] of SQL_MIGRATIONS.slice(0, version).entries()) {
    await db.transaction(async (trx) => {
      await m.up(trx, backend);
      await trx('mdhub_schema').insert({ version: i + 1, name: m.name, applied_at: Date.now() });
    });
  }
}

/** An account row as schema 2 stored it (before accounts could be disabled). */
export const SCHEMA2_ACCOUNT = {
  id: 'simnow', kind: 'ctp', broker_id: '9999', user_id: '081234', fronts: '["tcp://180.168.146.187:10211"]', app_id: '', notes: 'from schema 2',
  password_enc: null, auth_code_enc: null, created_at: 1_795_570_500_000, updated_at: 1_795_570_500_000,
};
