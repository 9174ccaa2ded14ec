/**
 * What the hub keeps, as validated domain rows, and how each entity is laid out: one definition serves
 * every adapter (SQL columns for SQLite and MySQL, documents and their JSON-schema validators for
 * MongoDB). Rows are parsed here at the boundary; the rest of the hub trusts their types.
 */
import { z } from 'zod';
import { thresholdsSchema } from '../cleansing/config.js';
import { findProduct } from '../market/products.js';
import { parseInstrumentPattern } from '../market/patterns.js';
import { PLUGIN_KINDS } from '../plugin/manifest.js';
import { EXCHANGES } from '@mdhub/protocol';
import type { Exchange } from '@mdhub/protocol';

export const IdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'an id of 1 to 40 letters, digits, _ or -');
export const HubIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'a hub id of 1 to 32 letters, digits, _ or -');
const Ms = z.number().int().nonnegative();
const Notes = z.string().max(2000);
/** A vendor front address (`tcp://180.168.146.187:10211`). */
export const FrontSchema = z.string().regex(/^(tcp|ssl|socks5?):\/\/[^\s/:@]+:\d{1,5}$/, 'a front address tcp://host:port');

/** Instrument patterns (market/patterns.ts), each parsed: a bad one names itself. */
export const PatternListSchema = z.array(z.string()).min(1).max(1000).superRefine((list, ctx) => {
  list.forEach((p, i) => {
    try {
      parseInstrumentPattern(p);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: [i], message: `${JSON.stringify(p)}: ${String((err as { details?: { reason?: unknown } }).details?.reason ?? err)}` });
    }
  });
});

/** A canary product, `PRODUCT.EXCHANGE` (`rb.SHFE`): resolved each trading day to its most active contract. */
export const CanarySchema = z.string().superRefine((c, ctx) => {
  const dot = c.lastIndexOf('.');
  const exchange = c.slice(dot + 1) as Exchange;
  if (dot <= 0 || !EXCHANGES.includes(exchange) || !findProduct(exchange, c.slice(0, dot))) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(c)}: a product of the product table as PRODUCT.EXCHANGE (rb.SHFE, SR.CZCE)` });
  }
});

export const AccountSchema = z.strictObject({
  id: IdSchema,
  kind: z.enum(['ctp', 'sopt']),
  broker_id: z.string().min(1).max(32),
  user_id: z.string().min(1).max(64),
  fronts: z.array(FrontSchema).min(1).max(16),
  app_id: z.string().max(64),
  notes: Notes,
  /** False: taken out of use (a locked or expired broker account); its gateways are not run (MDH_ERR_ACCOUNT_DISABLED). */
  enabled: z.boolean(),
  /** AES-256-GCM ciphertexts (store/secrets.ts); null when not set. */
  password_enc: z.string().max(4000).nullable(),
  auth_code_enc: z.string().max(4000).nullable(),
  created_at: Ms,
  updated_at: Ms,
});
export type AccountRow = z.infer<typeof AccountSchema>;

export const GatewaySchema = z.strictObject({
  id: IdSchema,
  /** Plugin package (module specifier) of the instance. */
  plugin: z.string().min(1).max(255),
  account_id: IdSchema.nullable(),
  enabled: z.boolean(),
  /** The plugin's configuration (account fields and secrets come from the account, never from here). */
  config: z.record(z.string(), z.unknown()),
  /** Pins the instance to one hub of several sharing the database; null: every hub runs it. */
  hub_id: HubIdSchema.nullable(),
  notes: Notes,
  created_at: Ms,
  updated_at: Ms,
});
export type GatewayRecord = z.infer<typeof GatewaySchema>;

export const GroupSourceSchema = z.strictObject({ gateway: IdSchema, priority: z.number().int().min(1).max(1_000_000) });
export type GroupSource = z.infer<typeof GroupSourceSchema>;

export const GroupCleansingSchema = z.strictObject({
  thresholds: thresholdsSchema.optional(),
  /** Rules (built-in, plugin rules or filter names) switched off for this group. */
  disable: z.array(z.string().min(1).max(80)).max(100).optional(),
  /** Rules switched back on for this group where the hub's cleansing settings disable them. */
  enable: z.array(z.string().min(1).max(80)).max(100).optional(),
});

export const GroupSchema = z.strictObject({
  name: IdSchema,
  policy: z.enum(['race', 'priority']),
  instruments: PatternListSchema,
  /** Sources by priority (lowest number first); empty: every source of this hub, racing or in id order. */
  sources: z.array(GroupSourceSchema).max(200).refine((s) => new Set(s.map((x) => x.gateway)).size === s.length, 'a gateway is listed twice'),
  canaries: z.array(CanarySchema).max(20),
  cleansing: GroupCleansingSchema,
  /** Order in which groups claim instruments (the first match owns one). */
  ord: z.number().int(),
  created_at: Ms,
  updated_at: Ms,
});
export type GroupRecord = z.infer<typeof GroupSchema>;

export const PluginRowSchema = z.strictObject({
  package: z.string().min(1).max(255),
  kind: z.enum(PLUGIN_KINDS),
  enabled: z.boolean(),
  /** Plugin-level configuration (for a filter: its instance configuration). */
  config: z.unknown(),
  created_at: Ms,
  updated_at: Ms,
});
export type PluginRecord = z.infer<typeof PluginRowSchema>;

export const UserSchema = z.strictObject({
  username: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'a user name of 1 to 64 letters, digits, _ . @ or -'),
  /** scrypt$N$r$p$salt$hash (store/passwords.ts). */
  password_hash: z.string().min(1).max(512),
  must_change: z.boolean(),
  created_at: Ms,
  updated_at: Ms,
  last_login_at: Ms.nullable(),
});
export type UserRecord = z.infer<typeof UserSchema>;

export const SettingSchema = z.strictObject({
  key: z.string().regex(/^[a-z0-9_.-]{1,80}$/),
  value: z.unknown(),
  updated_at: Ms,
});
export type SettingRecord = z.infer<typeof SettingSchema>;

export const HubOverrideSchema = z.strictObject({
  hub_id: HubIdSchema,
  key: z.string().regex(/^[a-z0-9_.-]{1,80}$/),
  value: z.unknown(),
  updated_at: Ms,
});
export type HubOverrideRecord = z.infer<typeof HubOverrideSchema>;

export const CalendarOverrideSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/),
  source: z.string().max(500),
  data: z.unknown(),
  imported_at: Ms,
});
export type CalendarOverrideRecord = z.infer<typeof CalendarOverrideSchema>;

export const AlertIncidentSchema = z.strictObject({
  /** Unique per incident, so several hubs sharing the database send one email for it. */
  incident_key: z.string().min(1).max(200),
  severity: z.enum(['info', 'warning', 'critical']),
  state: z.enum(['open', 'closed']),
  hub_id: HubIdSchema,
  opened_at: Ms,
  closed_at: Ms.nullable(),
  last_sent_at: Ms.nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AlertIncidentRecord = z.infer<typeof AlertIncidentSchema>;

export const AuditSchema = z.strictObject({
  ts: Ms,
  /** Who: `cli:<os user>`, a dashboard user, `hub:<hub id>`. */
  actor: z.string().min(1).max(120),
  action: z.string().min(1).max(80),
  target: z.string().max(255),
  details: z.record(z.string(), z.unknown()),
  hub_id: HubIdSchema.nullable(),
});
export type AuditRecord = z.infer<typeof AuditSchema>;

/** Column / field types shared by the adapters. */
export type FieldType = 'key' | 'string' | 'text' | 'json' | 'bool' | 'int' | 'ms';
export interface FieldDef {
  readonly type: FieldType;
  readonly nullable?: boolean;
  /** varchar length for key / string. */
  readonly length?: number;
  /** MongoDB bsonType of a json field (any when absent). */
  readonly bson?: 'object' | 'array';
}

export interface EntityDef<T> {
  readonly table: string;
  readonly key: ReadonlyArray<keyof T & string>;
  readonly fields: Readonly<Record<keyof T & string, FieldDef>>;
  readonly schema: z.ZodType<T>;
  /** Writes bump the configuration revision every hub polls (live reconfiguration). */
  readonly revision: boolean;
}

const key = (length: number): FieldDef => ({ type: 'key', length });
const str = (length: number, nullable = false): FieldDef => ({ type: 'string', length, nullable });
const text = (nullable = false): FieldDef => ({ type: 'text', nullable });
const json = (bson?: 'object' | 'array'): FieldDef => (bson ? { type: 'json', bson } : { type: 'json' });
const bool: FieldDef = { type: 'bool' };
const int: FieldDef = { type: 'int' };
const ms = (nullable = false): FieldDef => ({ type: 'ms', nullable });

function entity<T>(d: EntityDef<T>): EntityDef<T> {
  return d;
}

/** Every entity the hub keeps (the audit log is append-only and kept apart). */
export const ENTITIES = {
  accounts: entity<AccountRow>({
    table: 'accounts', key: ['id'], schema: AccountSchema, revision: true,
    fields: {
      id: key(40), kind: str(8), broker_id: str(32), user_id: str(64), fronts: json('array'), app_id: str(64), notes: text(), enabled: bool,
      password_enc: text(true), auth_code_enc: text(true), created_at: ms(), updated_at: ms(),
    },
  }),
  gateways: entity<GatewayRecord>({
    table: 'gateways', key: ['id'], schema: GatewaySchema, revision: true,
    fields: {
      id: key(40), plugin: str(255), account_id: str(40, true), enabled: bool, config: json('object'), hub_id: str(32, true), notes: text(),
      created_at: ms(), updated_at: ms(),
    },
  }),
  groups: entity<GroupRecord>({
    table: 'instrument_groups', key: ['name'], schema: GroupSchema, revision: true,
    fields: {
      name: key(80), policy: str(16), instruments: json('array'), sources: json('array'), canaries: json('array'), cleansing: json('object'),
      ord: int, created_at: ms(), updated_at: ms(),
    },
  }),
  plugins: entity<PluginRecord>({
    table: 'plugins', key: ['package'], schema: PluginRowSchema, revision: true,
    fields: { package: key(255), kind: str(16), enabled: bool, config: json(), created_at: ms(), updated_at: ms() },
  }),
  users: entity<UserRecord>({
    table: 'users', key: ['username'], schema: UserSchema, revision: false,
    fields: { username: key(64), password_hash: str(512), must_change: bool, created_at: ms(), updated_at: ms(), last_login_at: ms(true) },
  }),
  settings: entity<SettingRecord>({
    table: 'settings', key: ['key'], schema: SettingSchema, revision: true,
    fields: { key: key(80), value: json(), updated_at: ms() },
  }),
  hubOverrides: entity<HubOverrideRecord>({
    table: 'hub_overrides', key: ['hub_id', 'key'], schema: HubOverrideSchema, revision: true,
    fields: { hub_id: key(32), key: key(80), value: json(), updated_at: ms() },
  }),
  calendarOverrides: entity<CalendarOverrideRecord>({
    table: 'calendar_overrides', key: ['id'], schema: CalendarOverrideSchema, revision: true,
    fields: { id: key(40), source: str(500), data: json(), imported_at: ms() },
  }),
  alertIncidents: entity<AlertIncidentRecord>({
    table: 'alert_incidents', key: ['incident_key'], schema: AlertIncidentSchema, revision: false,
    fields: {
      incident_key: key(200), severity: str(16), state: str(8), hub_id: str(32), opened_at: ms(), closed_at: ms(true), last_sent_at: ms(true),
      details: json('object'),
    },
  }),
} as const;

export type Entities = typeof ENTITIES;
export type EntityName = keyof Entities;
export type RowOf<E extends EntityName> = Entities[E] extends EntityDef<infer T> ? T : never;

/** The audit log's layout (append-only, with an id the backend assigns). */
export const AUDIT_FIELDS: Readonly<Record<keyof AuditRecord, FieldDef>> = {
  ts: ms(), actor: str(120), action: str(80), target: str(255), details: json('object'), hub_id: str(32, true),
};

/** A row the store could not parse: skipped and reported, never fatal. */
export interface BadRow {
  table: string;
  key: string;
  reason: string;
}

/** Rows of an entity: the valid ones, and the ones that do not match their schema. */
export interface Rows<T> {
  rows: T[];
  bad: BadRow[];
}

/** The key of a row as one string (composite keys joined with '/'). */
export function keyString<T>(def: EntityDef<T>, row: Partial<T>): string {
  return def.key.map((k) => String(row[k] ?? '')).join('/');
}

/** Formats zod issues as `path: message; …`. */
export function issues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.map(String).join('.') || '(row)'}: ${i.message}`).join('; ');
}
