import type { AuditRecord, EntityName, RowOf, Rows } from './schema.js';

/** One write of a batch: an upsert of a whole row, or a removal by key. */
export type WriteOp =
  | { [E in EntityName]: { op: 'put'; entity: E; row: RowOf<E> } }[EntityName]
  | { [E in EntityName]: { op: 'remove'; entity: E; key: Partial<RowOf<E>> } }[EntityName];

export interface AuditQuery {
  /** Entries at or after this epoch ms. */
  since?: number;
  actor?: string;
  action?: string;
  /** Newest first, at most this many (default 100, at most 10,000). */
  limit?: number;
}

export interface SchemaState {
  /** Migrations applied (0: an empty database). */
  current: number;
  /** Migrations this build knows. */
  latest: number;
}

/**
 * The one repository interface for everything the hub keeps. Adapters: SQLite and MySQL/MariaDB
 * (store/sql.ts, knex), MongoDB (store/mongo.ts, the official driver). The contract suite
 * (packages/core/test/store/contract.ts) runs the same tests against each.
 *
 * Reads return validated rows; a row that does not match its schema is reported in `bad`, never fatal.
 * Writes go through {@link write}: a batch is applied together (one transaction on SQL; in order on
 * MongoDB, whose standalone servers have no multi-document transactions) and bumps the configuration
 * revision once when it touches a configuration entity.
 */
export interface ConfigRepository {
  readonly backend: 'sqlite' | 'mysql' | 'mongodb';
  /** The database URL with its password redacted. */
  readonly url: string;
  /** Connects (MDH_ERR_DB_UNREACHABLE with the reason and how to fix it). */
  connect(): Promise<void>;
  /** A cheap round trip (the liveness check of a running hub). */
  ping(): Promise<void>;
  schema(): Promise<SchemaState>;
  /** Applies the pending migrations (versioned; idempotent). */
  migrate(): Promise<{ from: number; to: number }>;
  close(): Promise<void>;

  /** The configuration revision: bumped by every write of a configuration entity. */
  revision(): Promise<number>;
  list<E extends EntityName>(entity: E): Promise<Rows<RowOf<E>>>;
  get<E extends EntityName>(entity: E, key: Partial<RowOf<E>>): Promise<RowOf<E> | undefined>;
  write(ops: readonly WriteOp[]): Promise<void>;
  /** Inserts a row unless one with its key exists; true when inserted (incident de-duplication across hubs). */
  insertIfAbsent<E extends EntityName>(entity: E, row: RowOf<E>): Promise<boolean>;

  appendAudit(entry: AuditRecord): Promise<void>;
  audit(query?: AuditQuery): Promise<AuditRecord[]>;
}
