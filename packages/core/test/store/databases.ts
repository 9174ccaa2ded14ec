/**
 * Test databases: a private MariaDB database per test file (the shared `test` database collides across
 * parallel files), MongoDB only when MDHUB_TEST_MONGO_URL is set. Under MDHUB_REQUIRE_ALL=1 (CI) a
 * MariaDB that cannot be reached fails the run; the MongoDB suite is the one skip allowed, and it says so.
 */
import crypto from 'node:crypto';
import mysql from 'mysql2/promise';

export const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root', password: '' };
export const REQUIRE_ALL = process.env['MDHUB_REQUIRE_ALL'] === '1';
export const MONGO_URL = process.env['MDHUB_TEST_MONGO_URL'];

/** Null when MariaDB answers, else why not. */
export async function mariadbDown(): Promise<string | null> {
  try {
    const c = await mysql.createConnection({ ...MARIADB, connectTimeout: 3000 });
    await c.end();
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Creates a fresh database on the local MariaDB; `drop` removes it. */
export async function createMariaDatabase(tag: string): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `mdhub_t_${tag}_${process.pid}_${crypto.randomBytes(3).toString('hex')}`;
  const c = await mysql.createConnection({ ...MARIADB });
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  await c.end();
  return {
    name,
    url: `mysql://${MARIADB.user}@${MARIADB.host}:${MARIADB.port}/${name}`,
    drop: async () => {
      const d = await mysql.createConnection({ ...MARIADB });
      await d.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await d.end();
    },
  };
}
