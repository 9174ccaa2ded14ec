import { MdhubError } from '../errors.js';
import type { ConfigRepository } from './repository.js';
import { MongoRepository } from './mongo.js';
import { SqlRepository } from './sql.js';
import { parseDbUrl } from './url.js';

export interface OpenOptions {
  /**
   * What to do with the schema: `auto` migrates (the embedded SQLite default), `check` refuses a
   * database that is not fully migrated with MDH_ERR_DB_NOT_MIGRATED (external databases: an operator
   * runs `mdhub db migrate`), `none` leaves it alone (the migrate command itself).
   */
  schema: 'auto' | 'check' | 'none';
  /** How long a connection attempt may wait (MySQL pool acquire, MongoDB server selection), ms. */
  timeoutMs?: number;
}

/** Creates the repository a URL selects (MDH_ERR_DB_UNSUPPORTED_URL for anything else); not connected yet. */
export function createRepository(url: string, timeoutMs?: number): ConfigRepository {
  const target = parseDbUrl(url);
  if (target.backend === 'mongodb') return new MongoRepository(target, timeoutMs ? { serverSelectionTimeoutMs: timeoutMs } : {});
  return new SqlRepository(target, timeoutMs ? { acquireTimeoutMs: timeoutMs } : {});
}

/**
 * Opens the repository at `url`: connects (MDH_ERR_DB_UNREACHABLE naming how to fix it) and checks or
 * applies the schema. The connection is closed again when anything fails.
 */
export async function openRepository(url: string, opts: OpenOptions): Promise<ConfigRepository> {
  const repo = createRepository(url, opts.timeoutMs);
  await repo.connect();
  await prepareSchema(repo, opts.schema).catch(async (err: unknown) => {
    await repo.close().catch(() => {});
    throw err;
  });
  return repo;
}

/** Checks or applies the schema of a connected repository (see {@link OpenOptions.schema}). */
export async function prepareSchema(repo: ConfigRepository, mode: OpenOptions['schema']): Promise<void> {
  if (mode === 'none') return;
  const { current, latest } = await repo.schema();
  if (current > latest) throw new MdhubError('MDH_ERR_DB_SCHEMA_NEWER', { url: repo.url, schema: current, known: latest });
  if (current === latest) return;
  if (mode === 'auto') {
    await repo.migrate();
    return;
  }
  throw new MdhubError('MDH_ERR_DB_NOT_MIGRATED', {
    url: repo.url, schema: current, latest,
    reason: `${current === 0 ? `no mdhub tables in ${repo.url}` : `schema ${current} of ${latest}`}: run npx mdhub db migrate --db '${repo.url}'`,
  });
}
