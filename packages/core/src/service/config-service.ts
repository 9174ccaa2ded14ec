/**
 * The configuration service: the one place that writes what the hub keeps. The CLI calls it, the
 * dashboard API (a later issue) will, and a running hub reads its desired state through it. Every
 * input is validated here (zod, strict), secrets are encrypted before they are stored and never
 * returned unless asked, every change is written to the audit log with who made it, and every change
 * of configuration bumps the revision the hubs poll.
 */
import crypto from 'node:crypto';
import { z } from 'zod';
import { cleansingConfigSchema, thresholdsSchema } from '../cleansing/config.js';
import { MdhubError } from '../errors.js';
import { PluginError } from '../plugin/errors.js';
import { ACCOUNT_FIELDS, PLUGIN_KINDS, describeIssues, parsePluginConfig } from '../plugin/manifest.js';
import type { AccountField, GatewayPlugin, PluginKind } from '../plugin/manifest.js';
import type { PluginRegistry } from '../plugin/registry.js';
import { DEFAULT_ADMIN, checkNewPassword, hashPassword, verifyPassword } from '../store/passwords.js';
import type { AuditQuery, ConfigRepository, WriteOp } from '../store/repository.js';
import {
  AccountSchema, CanarySchema, FrontSchema, GroupCleansingSchema, HubIdSchema, IdSchema, PatternListSchema,
} from '../store/schema.js';
import type {
  AccountRow, AlertIncidentRecord, AuditRecord, BadRow, CalendarOverrideRecord, GatewayRecord, GroupRecord, GroupSource, HubOverrideRecord, PluginRecord, SettingRecord, UserRecord,
} from '../store/schema.js';
import type { SecretBox } from '../store/secrets.js';
import { SecretBox as Box } from '../store/secrets.js';

/** Who makes a change (`cli:<os user>`, `dashboard:<user>`, `hub:<hub id>`): written to the audit log. */
export interface Actor {
  readonly name: string;
  readonly hubId?: string | null;
}

/** An account as it is shown: secrets are never returned, only whether they are set. */
export type AccountView = Omit<AccountRow, 'password_enc' | 'auth_code_enc'> & { has_password: boolean; has_auth_code: boolean; key_id: string | null };

/** Settings keyed in the settings table, each with its schema. */
export const CleansingSettingsSchema = z.strictObject({
  enabled: z.boolean().default(true),
  thresholds: thresholdsSchema.optional(),
  disable: z.array(z.string().min(1).max(80)).max(100).optional(),
  log: z.strictObject({ burst: z.number().int().min(0).max(10_000).optional(), perSecond: z.number().min(0).max(10_000).optional() }).optional(),
});
export type CleansingSettingsValue = z.infer<typeof CleansingSettingsSchema>;

const ms = (max: number): z.ZodOptional<z.ZodNumber> => z.number().int().min(0).max(max).optional();
/** Source-health thresholds, ms (docs/health.md); each left out keeps its default. */
export const HealthSettingsSchema = z.strictObject({
  canaryLagMs: z.number().int().min(50).max(60_000).optional(),
  holdDownMs: ms(600_000),
  confirmMs: z.number().int().min(500).max(600_000).optional(),
  disconnectedRestartMs: z.number().int().min(1000).max(3_600_000).optional(),
  startTimeoutMs: z.number().int().min(1000).max(3_600_000).optional(),
  deadAfterMs: z.number().int().min(1000).max(600_000).optional(),
  noDataMs: z.number().int().min(1000).max(3_600_000).optional(),
  groupSilentMs: z.number().int().min(1000).max(3_600_000).optional(),
  degradedLagMs: z.number().int().min(1).max(600_000).optional(),
  clockOffsetMs: z.number().int().min(1).max(3_600_000).optional(),
  restartSlotMs: z.number().int().min(1000).max(3_600_000).optional(),
});
export type HealthSettingsValue = z.infer<typeof HealthSettingsSchema>;

/** The decided recipient of email alerts (ARCHITECTURE.md; issue 20): the default of `alerts.to`. */
export const DEFAULT_ALERT_RECIPIENT = 'ryanflavor@163.com';
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
/**
 * Email alerts (docs/operations.md, "Email alerts"). Off until `enabled` is true and an SMTP host is
 * set; the SMTP password is never stored here: the hub reads it from MDHUB_SMTP_PASSWORD.
 */
export const AlertSettingsSchema = z.strictObject({
  enabled: z.boolean().default(false),
  smtp: z.strictObject({
    host: z.string().min(1).max(255),
    /** 587 (STARTTLS when the server offers it) by default; 465 with `secure`. */
    port: z.number().int().min(1).max(65_535).default(587),
    /** TLS from the first byte (port 465); otherwise STARTTLS when offered. */
    secure: z.boolean().default(false),
    /** Login name; the password comes from MDHUB_SMTP_PASSWORD. */
    user: z.string().min(1).max(255).optional(),
  }).optional(),
  from: z.string().min(3).max(255).optional(),
  to: z.array(z.email()).min(1).max(50).default([DEFAULT_ALERT_RECIPIENT]),
  /** Alerts below this severity send nothing. */
  minSeverity: z.enum(['info', 'warning', 'critical']).default('warning'),
  /** At most this many emails per rolling hour; the rest are counted and summarised in the next one. */
  maxPerHour: z.number().int().min(1).max(10_000).default(20),
  /** A daily summary at this host-local time (HH:MM); none when absent. */
  dailySummary: z.string().regex(HHMM, 'a time HH:MM').optional(),
}).refine((a) => !a.enabled || a.smtp !== undefined, { message: 'enabled email alerts need smtp.host', path: ['smtp'] });
export type AlertSettingsValue = z.infer<typeof AlertSettingsSchema>;

export const SETTINGS: Readonly<Record<string, { schema: z.ZodType; description: string; hubOverride: boolean }>> = {
  cleansing: { schema: CleansingSettingsSchema, description: 'cleansing before the race: enabled, thresholds, rules disabled everywhere, rejection-log sampling (docs/cleansing.md)', hubOverride: true },
  health: { schema: HealthSettingsSchema, description: 'source-health thresholds in ms: canaryLagMs, holdDownMs, confirmMs, deadAfterMs, noDataMs, groupSilentMs … (docs/health.md)', hubOverride: true },
  alerts: { schema: AlertSettingsSchema, description: 'email alerts: enabled, smtp {host, port, secure, user}, from, to, minSeverity, maxPerHour, dailySummary (docs/operations.md; password in MDHUB_SMTP_PASSWORD)', hubOverride: false },
};
/** Settings the hub keeps for itself (not settable with `mdhub settings set`). */
const INTERNAL_SETTINGS = new Set(['secrets.key_id']);

const AccountInput = z.strictObject({
  id: IdSchema,
  kind: z.enum(['ctp', 'sopt']),
  broker_id: z.string().min(1).max(32),
  user_id: z.string().min(1).max(64),
  fronts: z.array(FrontSchema).min(1).max(16),
  app_id: z.string().max(64).default(''),
  notes: z.string().max(2000).default(''),
  enabled: z.boolean().default(true),
  password: z.string().min(1).max(256).optional(),
  auth_code: z.string().min(1).max(256).optional(),
});
export type AccountInput = z.input<typeof AccountInput>;
// Patches list every field without a default: zod's partial() would fill in the input's defaults and
// overwrite stored values the caller never named.
const AccountPatch = z.strictObject({
  kind: z.enum(['ctp', 'sopt']).optional(),
  broker_id: z.string().min(1).max(32).optional(),
  user_id: z.string().min(1).max(64).optional(),
  fronts: z.array(FrontSchema).min(1).max(16).optional(),
  app_id: z.string().max(64).optional(),
  notes: z.string().max(2000).optional(),
  enabled: z.boolean().optional(),
  password: z.string().min(1).max(256).nullable().optional(),
  auth_code: z.string().min(1).max(256).nullable().optional(),
});
export type AccountPatch = z.input<typeof AccountPatch>;

const GatewayInput = z.strictObject({
  id: IdSchema,
  plugin: z.string().min(1).max(255),
  config: z.record(z.string(), z.unknown()).default({}),
  account: IdSchema.nullable().default(null),
  group: IdSchema.optional(),
  priority: z.number().int().min(1).max(1_000_000).optional(),
  enabled: z.boolean().default(true),
  hub: HubIdSchema.nullable().default(null),
  notes: z.string().max(2000).default(''),
});
export type GatewayInput = z.input<typeof GatewayInput>;
const GatewayPatch = z.strictObject({
  plugin: z.string().min(1).max(255).optional(),
  config: z.record(z.string(), z.unknown()).optional(),
  account: IdSchema.nullable().optional(),
  enabled: z.boolean().optional(),
  hub: HubIdSchema.nullable().optional(),
  notes: z.string().max(2000).optional(),
});
export type GatewayPatch = z.input<typeof GatewayPatch>;

const GroupInput = z.strictObject({
  name: IdSchema,
  policy: z.enum(['race', 'priority']).default('race'),
  instruments: PatternListSchema,
  canaries: z.array(CanarySchema).max(20).default([]),
  cleansing: GroupCleansingSchema.default({}),
  sources: z.array(z.strictObject({ gateway: IdSchema, priority: z.number().int().min(1).max(1_000_000) })).max(200).default([]),
  ord: z.number().int().optional(),
});
export type GroupInput = z.input<typeof GroupInput>;
const GroupPatch = z.strictObject({
  policy: z.enum(['race', 'priority']).optional(),
  instruments: PatternListSchema.optional(),
  canaries: z.array(CanarySchema).max(20).optional(),
  cleansing: GroupCleansingSchema.optional(),
  sources: z.array(z.strictObject({ gateway: IdSchema, priority: z.number().int().min(1).max(1_000_000) })).max(200).optional(),
  ord: z.number().int().optional(),
});
export type GroupPatch = z.input<typeof GroupPatch>;

/** The input schemas of the configuration's entities (the control API validates its bodies with them). */
export const ENTITY_SCHEMAS = {
  AccountInput: () => AccountInput, AccountPatch: () => AccountPatch, GatewayInput: () => GatewayInput, GatewayPatch: () => GatewayPatch,
  GroupInput: () => GroupInput, GroupPatch: () => GroupPatch,
} as const;

const PluginInput = z.strictObject({
  package: z.string().min(1).max(255),
  enabled: z.boolean().default(true),
  config: z.unknown().optional(),
});
export type PluginInput = z.input<typeof PluginInput>;

/** Field names that are secrets wherever they appear: refused in a gateway's configuration. */
const SECRET_FIELD = /^(password|passwd|auth_?code|secret|token|private_?key)$/i;

/** A gateway as a hub runs it: plugin, merged configuration (secrets decrypted), and what identifies it. */
export interface RuntimeGateway {
  id: string;
  plugin: string;
  accountId: string | null;
  /** The configuration sent to the child over IPC: the row's config with the account's fields merged in. */
  config: Record<string, unknown>;
  simulated: boolean;
  /** Changes whenever anything the child receives changes (plugin, configuration, account, secrets). */
  fingerprint: string;
}

/** The desired state of one hub, read from the database. */
export interface RuntimeConfig {
  revision: number;
  gateways: RuntimeGateway[];
  /** Enabled gateways this hub does not start, each with its named error. */
  skipped: Array<{ id: string; code: string; message: string; details: Record<string, unknown> }>;
  groups: Array<{ name: string; policy: 'race' | 'priority'; instruments: string[]; sources: string[]; canaries: string[] }>;
  cleansing: { enabled: boolean; options: Record<string, unknown>; plugins: string[] };
  /** Source-health thresholds set in the database (the rest keep their defaults). */
  health: HealthSettingsValue;
  /** Enabled health-check plugins (loaded and their configuration checked). */
  healthChecks: Array<{ plugin: string; config: unknown }>;
  /** Email alerts (the `alerts` setting; absent or malformed: off). */
  alerts?: AlertSettingsValue;
  /** Rows the store could not parse (skipped). */
  bad: BadRow[];
  /** Registered plugins that this version does not run (reserved kinds). */
  notes: string[];
}

/** The export document (`mdhub config export`). */
export const ConfigDocumentSchema = z.strictObject({
  format: z.literal('mdhub-config'),
  version: z.literal(1),
  exported_at: z.number(),
  with_secrets: z.boolean(),
  accounts: z.array(AccountInput.extend({ key_id: z.string().nullable().optional() })),
  gateways: z.array(z.strictObject({
    id: IdSchema, plugin: z.string(), account_id: IdSchema.nullable(), enabled: z.boolean(), config: z.record(z.string(), z.unknown()),
    hub_id: HubIdSchema.nullable(), notes: z.string(),
  })),
  groups: z.array(GroupInput.extend({ ord: z.number().int() })),
  plugins: z.array(z.strictObject({ package: z.string(), kind: z.enum(PLUGIN_KINDS), enabled: z.boolean(), config: z.unknown() })),
  settings: z.array(z.strictObject({ key: z.string(), value: z.unknown() })),
  hub_overrides: z.array(z.strictObject({ hub_id: HubIdSchema, key: z.string(), value: z.unknown() })),
  calendar_overrides: z.array(z.strictObject({ id: z.string(), source: z.string(), data: z.unknown(), imported_at: z.number() })),
  users: z.array(z.strictObject({ username: z.string(), password_hash: z.string().optional(), must_change: z.boolean() })),
});
export type ConfigDocument = z.infer<typeof ConfigDocumentSchema>;

function parse<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const r = schema.safeParse(input);
  if (!r.success) throw new MdhubError('MDH_ERR_CONFIG_INVALID', { source: what, reason: describeIssues(r.error.issues) });
  return r.data;
}

/** A hash no password matches, checked when a login names an unknown user. */
let dummyHash: Promise<string> | null = null;

const unknownId = (kind: string, id: string): MdhubError => new MdhubError('MDH_ERR_CONFIG_UNKNOWN_ID', { kind, id, reason: `no ${kind} ${id}` });
const conflict = (reason: string, details: Record<string, unknown> = {}): MdhubError => new MdhubError('MDH_ERR_CONFIG_CONFLICT', { ...details, reason });

export interface ConfigServiceDeps {
  repo: ConfigRepository;
  plugins: PluginRegistry;
  /** The secret box (resolved once the database is open; see store/secrets.ts). */
  secrets: SecretBox;
  now?: () => number;
}

export class ConfigService {
  private readonly repo: ConfigRepository;
  private readonly registry: PluginRegistry;
  private box: SecretBox;
  private readonly now: () => number;

  constructor(deps: ConfigServiceDeps) {
    this.repo = deps.repo;
    this.registry = deps.plugins;
    this.box = deps.secrets;
    this.now = deps.now ?? Date.now;
  }

  get secrets(): SecretBox {
    return this.box;
  }

  revision(): Promise<number> {
    return this.repo.revision();
  }

  private async audit(actor: Actor, action: string, target: string, details: Record<string, unknown> = {}): Promise<void> {
    await this.repo.appendAudit({ ts: this.now(), actor: actor.name, action, target, details, hub_id: actor.hubId ?? null });
  }

  /** Records an admin action that changes no stored row (a start or stop on one hub, say). */
  recordAction(actor: Actor, action: string, target: string, details: Record<string, unknown> = {}): Promise<void> {
    return this.audit(actor, action, target, details);
  }

  auditLog(q?: AuditQuery): Promise<AuditRecord[]> {
    return this.repo.audit(q);
  }

  // ---- accounts ----

  private view(a: AccountRow): AccountView {
    const { password_enc: p, auth_code_enc: c, ...rest } = a;
    return { ...rest, has_password: p !== null, has_auth_code: c !== null, key_id: p ? Box.keyIdOf(p) : c ? Box.keyIdOf(c) : null };
  }

  async accounts(): Promise<{ rows: AccountView[]; bad: BadRow[] }> {
    const r = await this.repo.list('accounts');
    return { rows: r.rows.map((a) => this.view(a)), bad: r.bad };
  }

  private async account(id: string): Promise<AccountRow> {
    const a = await this.repo.get('accounts', { id });
    if (!a) throw unknownId('account', id);
    return a;
  }

  /** Encrypts a secret for an account field; refuses a key other than the one the database's secrets use. */
  private async encrypt(accountId: string, field: 'password' | 'auth_code', plain: string): Promise<string> {
    const stored = await this.storedKeyId();
    const current = this.box.currentId;
    if (current === null) throw new MdhubError('MDH_ERR_SECRET_KEY_MISSING', { expected: stored });
    if (stored !== null && stored !== current && (await this.encryptedCount()) > 0) {
      throw new MdhubError('MDH_ERR_SECRET_KEY_MISMATCH', { expected: stored, available: this.box.keyIds, reason: 'rotate with mdhub secrets rotate, or configure the expected key' });
    }
    return this.box.encrypt(plain, `accounts/${accountId}/${field}`);
  }

  private keyIdWrite(): WriteOp {
    return { op: 'put', entity: 'settings', row: { key: 'secrets.key_id', value: this.box.currentId, updated_at: this.now() } };
  }

  /** The key id the stored secrets were made with (null before the first secret). */
  async storedKeyId(): Promise<string | null> {
    const s = await this.repo.get('settings', { key: 'secrets.key_id' });
    return typeof s?.value === 'string' ? s.value : null;
  }

  private async encryptedCount(): Promise<number> {
    const { rows } = await this.repo.list('accounts');
    return rows.reduce((n, a) => n + (a.password_enc ? 1 : 0) + (a.auth_code_enc ? 1 : 0), 0);
  }

  async addAccount(actor: Actor, input: AccountInput): Promise<AccountView> {
    const a = parse(AccountInput, input, 'account');
    if (await this.repo.get('accounts', { id: a.id })) throw conflict(`account ${a.id} exists (mdhub account set)`, { id: a.id });
    const now = this.now();
    const row: AccountRow = {
      id: a.id, kind: a.kind, broker_id: a.broker_id, user_id: a.user_id, fronts: a.fronts, app_id: a.app_id, notes: a.notes, enabled: a.enabled,
      password_enc: a.password ? await this.encrypt(a.id, 'password', a.password) : null,
      auth_code_enc: a.auth_code ? await this.encrypt(a.id, 'auth_code', a.auth_code) : null,
      created_at: now, updated_at: now,
    };
    await this.repo.write([{ op: 'put', entity: 'accounts', row }, ...(row.password_enc || row.auth_code_enc ? [this.keyIdWrite()] : [])]);
    await this.audit(actor, 'account.add', a.id, {
      kind: a.kind, broker_id: a.broker_id, user_id: a.user_id, enabled: a.enabled, password: a.password ? 'set' : 'unset', auth_code: a.auth_code ? 'set' : 'unset',
    });
    return this.view(row);
  }

  async setAccount(actor: Actor, id: string, patch: AccountPatch): Promise<AccountView> {
    const p = parse(AccountPatch, patch, 'account');
    const a = await this.account(id);
    const row: AccountRow = {
      ...a,
      ...(p.kind !== undefined ? { kind: p.kind } : {}),
      ...(p.broker_id !== undefined ? { broker_id: p.broker_id } : {}),
      ...(p.user_id !== undefined ? { user_id: p.user_id } : {}),
      ...(p.fronts !== undefined ? { fronts: p.fronts } : {}),
      ...(p.app_id !== undefined ? { app_id: p.app_id } : {}),
      ...(p.notes !== undefined ? { notes: p.notes } : {}),
      ...(p.enabled !== undefined ? { enabled: p.enabled } : {}),
      updated_at: this.now(),
    };
    if (p.password !== undefined) row.password_enc = p.password === null ? null : await this.encrypt(id, 'password', p.password);
    if (p.auth_code !== undefined) row.auth_code_enc = p.auth_code === null ? null : await this.encrypt(id, 'auth_code', p.auth_code);
    await this.repo.write([{ op: 'put', entity: 'accounts', row }, ...(p.password || p.auth_code ? [this.keyIdWrite()] : [])]);
    const changed = Object.keys(p).map((k) => (k === 'password' || k === 'auth_code' ? `${k}:${p[k] === null ? 'cleared' : 'set'}` : k));
    await this.audit(actor, 'account.set', id, { changed });
    return this.view(row);
  }

  /** Takes an account out of use (a locked or expired broker account) or back into use: its gateways stop or start. */
  async enableAccount(actor: Actor, id: string, enabled: boolean): Promise<AccountView> {
    const a = await this.account(id);
    const row: AccountRow = { ...a, enabled, updated_at: this.now() };
    await this.repo.write([{ op: 'put', entity: 'accounts', row }]);
    await this.audit(actor, enabled ? 'account.enable' : 'account.disable', id);
    return this.view(row);
  }

  async removeAccount(actor: Actor, id: string): Promise<void> {
    await this.account(id);
    const users = (await this.repo.list('gateways')).rows.filter((g) => g.account_id === id).map((g) => g.id);
    if (users.length > 0) throw conflict(`account ${id} is used by gateways ${users.join(', ')}: set their account first`, { id, gateways: users });
    await this.repo.write([{ op: 'remove', entity: 'accounts', key: { id } }]);
    await this.audit(actor, 'account.remove', id);
  }

  /** Decrypts an account's secrets (for the hub's merge only; never shown). */
  decryptAccount(a: AccountRow): { password: string | null; auth_code: string | null } {
    return {
      password: a.password_enc ? this.box.decrypt(a.password_enc, `accounts/${a.id}/password`) : null,
      auth_code: a.auth_code_enc ? this.box.decrypt(a.auth_code_enc, `accounts/${a.id}/auth_code`) : null,
    };
  }

  // ---- plugins ----

  async plugins(): Promise<{ rows: PluginRecord[]; bad: BadRow[] }> {
    return this.repo.list('plugins');
  }

  /** Loads a package to learn its kind and check its manifest (and a filter's configuration). */
  private async inspect(pkg: string): Promise<{ kind: PluginKind; name: string }> {
    let lastErr: unknown;
    for (const kind of PLUGIN_KINDS) {
      try {
        const m = await this.registry.load(pkg, kind);
        return { kind, name: m.name };
      } catch (err) {
        if (err instanceof PluginError && err.code === 'MDH_ERR_PLUGIN_WRONG_KIND') { lastErr = err; continue; }
        throw err;
      }
    }
    throw lastErr;
  }

  private async checkPluginConfig(pkg: string, kind: PluginKind, config: unknown): Promise<void> {
    if (kind !== 'filter') return;
    const m = await this.registry.load(pkg, 'filter');
    const r = m.configSchema.safeParse(config ?? {});
    if (!r.success) throw new PluginError('MDH_ERR_PLUGIN_BAD_CONFIG', { plugin: m.name, instance: pkg, reason: describeIssues(r.error.issues) });
  }

  async addPlugin(actor: Actor, input: PluginInput): Promise<PluginRecord> {
    const p = parse(PluginInput, input, 'plugin');
    if (await this.repo.get('plugins', { package: p.package })) throw conflict(`plugin ${p.package} is registered (mdhub plugin set)`, { package: p.package });
    const { kind } = await this.inspect(p.package);
    await this.checkPluginConfig(p.package, kind, p.config);
    const now = this.now();
    const row: PluginRecord = { package: p.package, kind, enabled: p.enabled, config: p.config ?? {}, created_at: now, updated_at: now };
    await this.repo.write([{ op: 'put', entity: 'plugins', row }]);
    await this.audit(actor, 'plugin.add', p.package, { kind, enabled: p.enabled });
    return row;
  }

  async setPlugin(actor: Actor, pkg: string, patch: { enabled?: boolean; config?: unknown }): Promise<PluginRecord> {
    const row = await this.repo.get('plugins', { package: pkg });
    if (!row) throw unknownId('plugin', pkg);
    const next: PluginRecord = { ...row, ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}), ...(patch.config !== undefined ? { config: patch.config } : {}), updated_at: this.now() };
    if (patch.config !== undefined) await this.checkPluginConfig(pkg, row.kind, patch.config);
    await this.repo.write([{ op: 'put', entity: 'plugins', row: next }]);
    await this.audit(actor, 'plugin.set', pkg, { changed: Object.keys(patch) });
    return next;
  }

  async removePlugin(actor: Actor, pkg: string): Promise<void> {
    if (!(await this.repo.get('plugins', { package: pkg }))) throw unknownId('plugin', pkg);
    const users = (await this.repo.list('gateways')).rows.filter((g) => g.plugin === pkg).map((g) => g.id);
    if (users.length > 0) throw conflict(`plugin ${pkg} is used by gateways ${users.join(', ')}`, { package: pkg, gateways: users });
    await this.repo.write([{ op: 'remove', entity: 'plugins', key: { package: pkg } }]);
    await this.audit(actor, 'plugin.remove', pkg);
  }

  // ---- gateways ----

  async gateways(): Promise<{ rows: GatewayRecord[]; bad: BadRow[] }> {
    return this.repo.list('gateways');
  }

  private async gateway(id: string): Promise<GatewayRecord> {
    const g = await this.repo.get('gateways', { id });
    if (!g) throw unknownId('gateway', id);
    return g;
  }

  /**
   * Checks a gateway row against its plugin: the manifest loads, secrets are not in the row, the account
   * exists and supplies the plugin's account fields, and the row validates against the plugin's schema
   * without those fields (the child validates the merged configuration).
   */
  private async checkGateway(row: Pick<GatewayRecord, 'id' | 'plugin' | 'config' | 'account_id'>): Promise<GatewayPlugin> {
    const secret = Object.keys(row.config).filter((k) => SECRET_FIELD.test(k));
    if (secret.length > 0) throw new MdhubError('MDH_ERR_CONFIG_SECRET_IN_GATEWAY', { gateway: row.id, fields: secret, reason: `${secret.join(', ')}: store credentials on an account (mdhub account add) and --account it` });
    const plugin = await this.registry.load(row.plugin, 'gateway');
    const fields = plugin.accountFields ?? [];
    if (row.account_id !== null) await this.account(row.account_id);
    else if (fields.length > 0) throw conflict(`plugin ${plugin.name} takes ${fields.join(', ')} from a broker account: --account ID`, { gateway: row.id });
    const clash = Object.keys(row.config).filter((k) => (fields as readonly string[]).includes(k));
    if (clash.length > 0) throw conflict(`${clash.join(', ')} come from the account, not the gateway's configuration`, { gateway: row.id, fields: clash });
    const schema = fields.length > 0 && typeof (plugin.configSchema as { omit?: unknown }).omit === 'function'
      ? (plugin.configSchema as unknown as z.ZodObject).omit(Object.fromEntries(fields.map((f) => [f, true])) as Record<string, true>)
      : plugin.configSchema;
    const r = schema.safeParse(row.config);
    if (!r.success) throw new PluginError('MDH_ERR_PLUGIN_BAD_CONFIG', { plugin: plugin.name, instance: row.id, reason: describeIssues(r.error.issues) });
    return plugin;
  }

  /** Registers a gateway plugin package on first use (its manifest checked). */
  private async ensurePluginRow(pkg: string, now: number): Promise<WriteOp[]> {
    const row = await this.repo.get('plugins', { package: pkg });
    if (row) {
      if (row.kind !== 'gateway') throw new PluginError('MDH_ERR_PLUGIN_WRONG_KIND', { plugin: pkg, kind: row.kind, expected: 'gateway' });
      return [];
    }
    return [{ op: 'put', entity: 'plugins', row: { package: pkg, kind: 'gateway', enabled: true, config: {}, created_at: now, updated_at: now } }];
  }

  async addGateway(actor: Actor, input: GatewayInput): Promise<GatewayRecord> {
    const g = parse(GatewayInput, input, 'gateway');
    if (await this.repo.get('gateways', { id: g.id })) throw conflict(`gateway ${g.id} exists (mdhub gateway set)`, { id: g.id });
    const now = this.now();
    const row: GatewayRecord = {
      id: g.id, plugin: g.plugin, account_id: g.account, enabled: g.enabled, config: g.config, hub_id: g.hub, notes: g.notes, created_at: now, updated_at: now,
    };
    await this.checkGateway(row);
    const ops: WriteOp[] = [...(await this.ensurePluginRow(g.plugin, now)), { op: 'put', entity: 'gateways', row }];
    if (g.group !== undefined) ops.push(await this.sourceOp(g.group, g.id, g.priority));
    else if (g.priority !== undefined) throw new MdhubError('MDH_ERR_CONFIG_INVALID', { source: 'gateway', reason: '--priority needs --group: priority is per group' });
    await this.repo.write(ops);
    await this.audit(actor, 'gateway.add', g.id, { plugin: g.plugin, account: g.account, group: g.group ?? null, priority: g.priority ?? null, enabled: g.enabled, hub: g.hub });
    return row;
  }

  async setGateway(actor: Actor, id: string, patch: GatewayPatch): Promise<GatewayRecord> {
    const p = parse(GatewayPatch, patch, 'gateway');
    const g = await this.gateway(id);
    const row: GatewayRecord = {
      ...g,
      ...(p.plugin !== undefined ? { plugin: p.plugin } : {}),
      ...(p.config !== undefined ? { config: p.config } : {}),
      ...(p.account !== undefined ? { account_id: p.account } : {}),
      ...(p.enabled !== undefined ? { enabled: p.enabled } : {}),
      ...(p.hub !== undefined ? { hub_id: p.hub } : {}),
      ...(p.notes !== undefined ? { notes: p.notes } : {}),
      updated_at: this.now(),
    };
    if (p.plugin !== undefined || p.config !== undefined || p.account !== undefined) await this.checkGateway(row);
    await this.repo.write([...(p.plugin ? await this.ensurePluginRow(p.plugin, row.updated_at) : []), { op: 'put', entity: 'gateways', row }]);
    await this.audit(actor, 'gateway.set', id, { changed: Object.keys(p) });
    return row;
  }

  async enableGateway(actor: Actor, id: string, enabled: boolean): Promise<GatewayRecord> {
    const g = await this.gateway(id);
    const row = { ...g, enabled, updated_at: this.now() };
    await this.repo.write([{ op: 'put', entity: 'gateways', row }]);
    await this.audit(actor, enabled ? 'gateway.enable' : 'gateway.disable', id);
    return row;
  }

  async removeGateway(actor: Actor, id: string): Promise<void> {
    await this.gateway(id);
    const ops: WriteOp[] = [{ op: 'remove', entity: 'gateways', key: { id } }];
    for (const grp of (await this.repo.list('groups')).rows) {
      if (grp.sources.some((s) => s.gateway === id)) ops.push({ op: 'put', entity: 'groups', row: { ...grp, sources: grp.sources.filter((s) => s.gateway !== id), updated_at: this.now() } });
    }
    await this.repo.write(ops);
    await this.audit(actor, 'gateway.remove', id);
  }

  // ---- groups ----

  async groups(): Promise<{ rows: GroupRecord[]; bad: BadRow[] }> {
    return this.repo.list('groups');
  }

  private async group(name: string): Promise<GroupRecord> {
    const g = await this.repo.get('groups', { name });
    if (!g) throw unknownId('group', name);
    return g;
  }

  /** A gateway enters a group at a priority (default: after the last), or moves to it. */
  private async sourceOp(groupName: string, gateway: string, priority?: number): Promise<WriteOp> {
    const grp = await this.group(groupName);
    const others = grp.sources.filter((s) => s.gateway !== gateway);
    const p = priority ?? (others.reduce((m, s) => Math.max(m, s.priority), 0) + 1);
    const sources: GroupSource[] = [...others, { gateway, priority: p }].sort((a, b) => a.priority - b.priority || a.gateway.localeCompare(b.gateway));
    return { op: 'put', entity: 'groups', row: { ...grp, sources, updated_at: this.now() } };
  }

  async setGroupSource(actor: Actor, groupName: string, gateway: string, priority?: number): Promise<void> {
    await this.gateway(gateway);
    await this.repo.write([await this.sourceOp(groupName, gateway, priority)]);
    await this.audit(actor, 'group.source', groupName, { gateway, priority: priority ?? null });
  }

  async removeGroupSource(actor: Actor, groupName: string, gateway: string): Promise<void> {
    const grp = await this.group(groupName);
    if (!grp.sources.some((s) => s.gateway === gateway)) throw unknownId(`source of group ${groupName}`, gateway);
    await this.repo.write([{ op: 'put', entity: 'groups', row: { ...grp, sources: grp.sources.filter((s) => s.gateway !== gateway), updated_at: this.now() } }]);
    await this.audit(actor, 'group.source.remove', groupName, { gateway });
  }

  async addGroup(actor: Actor, input: GroupInput): Promise<GroupRecord> {
    const g = parse(GroupInput, input, 'group');
    const existing = await this.repo.list('groups');
    if (existing.rows.some((x) => x.name === g.name)) throw conflict(`group ${g.name} exists (mdhub group set)`, { name: g.name });
    const gateways = new Set((await this.repo.list('gateways')).rows.map((x) => x.id));
    const missing = g.sources.filter((s) => !gateways.has(s.gateway)).map((s) => s.gateway);
    if (missing.length > 0) throw unknownId('gateway', missing.join(', '));
    const now = this.now();
    const row: GroupRecord = {
      name: g.name, policy: g.policy, instruments: g.instruments, canaries: g.canaries, cleansing: g.cleansing,
      sources: [...g.sources].sort((a, b) => a.priority - b.priority), ord: g.ord ?? existing.rows.reduce((m, x) => Math.max(m, x.ord), 0) + 1, created_at: now, updated_at: now,
    };
    await this.repo.write([{ op: 'put', entity: 'groups', row }]);
    await this.audit(actor, 'group.add', g.name, { policy: g.policy, instruments: g.instruments });
    return row;
  }

  async setGroup(actor: Actor, name: string, patch: GroupPatch): Promise<GroupRecord> {
    const p = parse(GroupPatch, patch, 'group');
    const g = await this.group(name);
    const row: GroupRecord = {
      ...g,
      ...(p.policy !== undefined ? { policy: p.policy } : {}),
      ...(p.instruments !== undefined ? { instruments: p.instruments } : {}),
      ...(p.canaries !== undefined ? { canaries: p.canaries } : {}),
      ...(p.cleansing !== undefined ? { cleansing: p.cleansing } : {}),
      ...(p.sources !== undefined ? { sources: [...p.sources].sort((a, b) => a.priority - b.priority) } : {}),
      ...(p.ord !== undefined ? { ord: p.ord } : {}),
      updated_at: this.now(),
    };
    await this.repo.write([{ op: 'put', entity: 'groups', row }]);
    await this.audit(actor, 'group.set', name, { changed: Object.keys(p) });
    return row;
  }

  async removeGroup(actor: Actor, name: string): Promise<void> {
    await this.group(name);
    await this.repo.write([{ op: 'remove', entity: 'groups', key: { name } }]);
    await this.audit(actor, 'group.remove', name);
  }

  // ---- settings ----

  async settings(): Promise<{ rows: SettingRecord[]; overrides: HubOverrideRecord[]; bad: BadRow[] }> {
    const [s, o] = await Promise.all([this.repo.list('settings'), this.repo.list('hubOverrides')]);
    return { rows: s.rows.filter((r) => !INTERNAL_SETTINGS.has(r.key)), overrides: o.rows, bad: [...s.bad, ...o.bad] };
  }

  /** Sets a known setting (validated by its schema), for every hub or, with `hubId`, one hub. */
  async setSetting(actor: Actor, key: string, value: unknown, hubId?: string): Promise<void> {
    const def = SETTINGS[key];
    if (!def) throw new MdhubError('MDH_ERR_CONFIG_INVALID', { source: 'settings', reason: `unknown setting ${key} (known: ${Object.keys(SETTINGS).join(', ')})` });
    const v = parse(def.schema, value, `settings.${key}`);
    const now = this.now();
    if (hubId !== undefined) {
      if (!def.hubOverride) throw new MdhubError('MDH_ERR_CONFIG_INVALID', { source: 'settings', reason: `${key} cannot be set per hub` });
      await this.repo.write([{ op: 'put', entity: 'hubOverrides', row: { hub_id: parse(HubIdSchema, hubId, 'hub'), key, value: v, updated_at: now } }]);
    } else {
      await this.repo.write([{ op: 'put', entity: 'settings', row: { key, value: v, updated_at: now } }]);
    }
    await this.audit(actor, 'settings.set', key, { hub: hubId ?? null });
  }

  async unsetSetting(actor: Actor, key: string, hubId?: string): Promise<void> {
    if (!SETTINGS[key]) throw new MdhubError('MDH_ERR_CONFIG_INVALID', { source: 'settings', reason: `unknown setting ${key}` });
    await this.repo.write([hubId !== undefined ? { op: 'remove', entity: 'hubOverrides', key: { hub_id: hubId, key } } : { op: 'remove', entity: 'settings', key: { key } }]);
    await this.audit(actor, 'settings.unset', key, { hub: hubId ?? null });
  }

  // ---- alert incidents (one email per incident across the hubs sharing this database) ----

  /** Claims an incident: true for the first hub to insert its key (that hub sends the email). */
  claimIncident(row: AlertIncidentRecord): Promise<boolean> {
    return this.repo.insertIfAbsent('alertIncidents', row);
  }

  incident(key: string): Promise<AlertIncidentRecord | undefined> {
    return this.repo.get('alertIncidents', { incident_key: key });
  }

  async incidents(): Promise<AlertIncidentRecord[]> {
    return (await this.repo.list('alertIncidents')).rows;
  }

  /** Records what happened to a claimed incident (sent, closed): the row is replaced. */
  async updateIncident(row: AlertIncidentRecord): Promise<void> {
    await this.repo.write([{ op: 'put', entity: 'alertIncidents', row }]);
  }

  // ---- calendar overrides ----

  /** Calendar years imported with `mdhub calendar import` (docs/operations.md#calendar-updates), one row per year. */
  async calendarOverrides(): Promise<{ rows: CalendarOverrideRecord[]; bad: BadRow[] }> {
    return this.repo.list('calendarOverrides');
  }

  /** Stores calendar years (already validated by the market module), replacing any stored before for the same years. */
  async importCalendar(actor: Actor, years: ReadonlyArray<{ year: number; data: unknown }>, source: string): Promise<void> {
    const now = this.now();
    await this.repo.write(years.map((y) => ({ op: 'put' as const, entity: 'calendarOverrides' as const, row: { id: String(y.year), source: source.slice(0, 500), data: y.data, imported_at: now } })));
    await this.audit(actor, 'calendar.import', years.map((y) => y.year).join(','), { source: source.slice(0, 500) });
  }

  /** Removes a stored calendar year: the shipped calendar applies to it again. */
  async removeCalendarYear(actor: Actor, year: number): Promise<void> {
    await this.repo.write([{ op: 'remove', entity: 'calendarOverrides', key: { id: String(year) } }]);
    await this.audit(actor, 'calendar.remove', String(year));
  }

  // ---- users ----

  async users(): Promise<Array<Omit<UserRecord, 'password_hash'>>> {
    return (await this.repo.list('users')).rows.map(({ password_hash: h, ...u }) => { void h; return u; });
  }

  /** Creates the default `admin` / `123456`, hashed and must-change, when no user exists. True when created. */
  async ensureAdmin(): Promise<boolean> {
    if ((await this.repo.list('users')).rows.length > 0) return false;
    const now = this.now();
    return this.repo.insertIfAbsent('users', {
      username: DEFAULT_ADMIN.username, password_hash: await hashPassword(DEFAULT_ADMIN.password), must_change: true, created_at: now, updated_at: now, last_login_at: null,
    });
  }

  async addUser(actor: Actor, username: string, password: string, mustChange = false): Promise<void> {
    const name = parse(z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/), username, 'user');
    checkNewPassword(name, password);
    if (await this.repo.get('users', { username: name })) throw conflict(`user ${name} exists (mdhub user reset-password)`, { user: name });
    const now = this.now();
    await this.repo.write([{ op: 'put', entity: 'users', row: { username: name, password_hash: await hashPassword(password), must_change: mustChange, created_at: now, updated_at: now, last_login_at: null } }]);
    await this.audit(actor, 'user.add', name, { must_change: mustChange });
  }

  async resetPassword(actor: Actor, username: string, password: string, mustChange = false): Promise<void> {
    const u = await this.repo.get('users', { username });
    if (!u) throw unknownId('user', username);
    checkNewPassword(username, password);
    await this.repo.write([{ op: 'put', entity: 'users', row: { ...u, password_hash: await hashPassword(password), must_change: mustChange, updated_at: this.now() } }]);
    await this.audit(actor, 'user.reset-password', username, { must_change: mustChange });
  }

  async removeUser(actor: Actor, username: string): Promise<void> {
    if (!(await this.repo.get('users', { username }))) throw unknownId('user', username);
    await this.repo.write([{ op: 'remove', entity: 'users', key: { username } }]);
    await this.audit(actor, 'user.remove', username);
  }

  /** Checks a login; the user record (without its hash) when the password matches. */
  async verifyLogin(username: string, password: string): Promise<Omit<UserRecord, 'password_hash'> | null> {
    const u = await this.repo.get('users', { username }).catch(() => undefined);
    if (!u) {
      // As slow as a wrong password: the answer's time does not tell which user names exist.
      dummyHash ??= hashPassword(crypto.randomBytes(16).toString('hex'));
      await verifyPassword(password, await dummyHash);
      return null;
    }
    if (!(await verifyPassword(password, u.password_hash))) return null;
    const { password_hash: h, ...rest } = u;
    void h;
    return rest;
  }

  // ---- secrets ----

  async secretStatus(): Promise<{ key_id: string | null; stored_key_id: string | null; encrypted: number; source: string; readable: number; unreadable: string[] }> {
    const { rows } = await this.repo.list('accounts');
    let encrypted = 0;
    let readable = 0;
    const unreadable: string[] = [];
    for (const a of rows) {
      for (const f of ['password', 'auth_code'] as const) {
        const ct = a[`${f}_enc`];
        if (!ct) continue;
        encrypted++;
        try {
          this.box.decrypt(ct, `accounts/${a.id}/${f}`);
          readable++;
        } catch {
          unreadable.push(`${a.id}.${f}`);
        }
      }
    }
    return { key_id: this.box.currentId, stored_key_id: await this.storedKeyId(), encrypted, source: this.box.source.kind, readable, unreadable };
  }

  /**
   * Re-encrypts every stored secret with `next`'s current key (each decrypted with whatever key of this
   * service's box or of `next` made it) in one batch, and records the new key id. Any secret that cannot
   * be decrypted stops the rotation before anything is written.
   */
  async rotateSecrets(actor: Actor, next: SecretBox): Promise<{ from: string | null; to: string; secrets: number }> {
    const to = next.currentId;
    if (to === null) throw new MdhubError('MDH_ERR_SECRET_KEY_MISSING', { expected: null, reason: 'no new key' });
    const { rows } = await this.repo.list('accounts');
    const read = (ct: string, ctx: string): string => {
      try {
        return next.decrypt(ct, ctx);
      } catch {
        return this.box.decrypt(ct, ctx);
      }
    };
    const ops: WriteOp[] = [];
    let n = 0;
    for (const a of rows) {
      const row = { ...a };
      for (const f of ['password', 'auth_code'] as const) {
        const ct = a[`${f}_enc`];
        if (!ct) continue;
        const ctx = `accounts/${a.id}/${f}`;
        row[`${f}_enc`] = next.encrypt(read(ct, ctx), ctx);
        n++;
      }
      if (row.password_enc !== a.password_enc || row.auth_code_enc !== a.auth_code_enc) ops.push({ op: 'put', entity: 'accounts', row });
    }
    const from = await this.storedKeyId();
    ops.push({ op: 'put', entity: 'settings', row: { key: 'secrets.key_id', value: to, updated_at: this.now() } });
    await this.repo.write(ops);
    this.box = next;
    // The secrets are under the new key now: an audit entry that cannot be written must not make the
    // caller believe the rotation failed (and throw away the new key).
    await this.audit(actor, 'secrets.rotate', to, { from, secrets: n }).catch(() => {});
    return { from, to, secrets: n };
  }

  // ---- export / import ----

  async exportConfig(actor: Actor, opts: { withSecrets: boolean }): Promise<ConfigDocument> {
    const [accounts, gateways, groups, plugins, settings, overrides, calendar, users] = await Promise.all([
      this.repo.list('accounts'), this.repo.list('gateways'), this.repo.list('groups'), this.repo.list('plugins'), this.repo.list('settings'),
      this.repo.list('hubOverrides'), this.repo.list('calendarOverrides'), this.repo.list('users'),
    ]);
    const doc: ConfigDocument = {
      format: 'mdhub-config', version: 1, exported_at: this.now(), with_secrets: opts.withSecrets,
      accounts: accounts.rows.map((a) => {
        const base = { id: a.id, kind: a.kind, broker_id: a.broker_id, user_id: a.user_id, fronts: a.fronts, app_id: a.app_id, notes: a.notes, enabled: a.enabled };
        if (!opts.withSecrets) return base;
        const s = this.decryptAccount(a);
        return { ...base, ...(s.password !== null ? { password: s.password } : {}), ...(s.auth_code !== null ? { auth_code: s.auth_code } : {}) };
      }),
      gateways: gateways.rows.map(({ created_at: c, updated_at: u, ...g }) => { void c; void u; return g; }),
      groups: groups.rows.map(({ created_at: c, updated_at: u, ...g }) => { void c; void u; return g; }),
      plugins: plugins.rows.map(({ package: p, kind, enabled, config }) => ({ package: p, kind, enabled, config })),
      settings: settings.rows.filter((s) => !INTERNAL_SETTINGS.has(s.key)).map(({ key, value }) => ({ key, value })),
      hub_overrides: overrides.rows.map(({ hub_id: h, key, value }) => ({ hub_id: h, key, value })),
      calendar_overrides: calendar.rows.map((c: CalendarOverrideRecord) => ({ id: c.id, source: c.source, data: c.data, imported_at: c.imported_at })),
      users: users.rows.map((u) => ({ username: u.username, must_change: u.must_change, ...(opts.withSecrets ? { password_hash: u.password_hash } : {}) })),
    };
    await this.audit(actor, 'config.export', opts.withSecrets ? 'with-secrets' : 'without-secrets');
    return doc;
  }

  /**
   * Imports an export document in one batch: rows are upserted (secrets encrypted with this database's
   * key); an account exported without secrets keeps the ones stored here. With `replace`, stored rows the
   * document does not name are removed. The whole document is validated before anything is written.
   */
  async importConfig(actor: Actor, input: unknown, opts: { replace: boolean }): Promise<Record<string, number>> {
    const doc = parse(ConfigDocumentSchema, input, 'config import');
    const now = this.now();
    const ops: WriteOp[] = [];
    const existingAccounts = new Map((await this.repo.list('accounts')).rows.map((a) => [a.id, a]));
    let secrets = false;
    for (const a of doc.accounts) {
      const prev = existingAccounts.get(a.id);
      const row: AccountRow = {
        id: a.id, kind: a.kind, broker_id: a.broker_id, user_id: a.user_id, fronts: a.fronts, app_id: a.app_id ?? '', notes: a.notes ?? '', enabled: a.enabled,
        password_enc: a.password ? await this.encrypt(a.id, 'password', a.password) : prev?.password_enc ?? null,
        auth_code_enc: a.auth_code ? await this.encrypt(a.id, 'auth_code', a.auth_code) : prev?.auth_code_enc ?? null,
        created_at: prev?.created_at ?? now, updated_at: now,
      };
      secrets ||= Boolean(a.password || a.auth_code);
      ops.push({ op: 'put', entity: 'accounts', row: AccountSchema.parse(row) });
    }
    for (const p of doc.plugins) ops.push({ op: 'put', entity: 'plugins', row: { ...p, created_at: now, updated_at: now } });
    const accountIds = new Set([...existingAccounts.keys(), ...doc.accounts.map((a) => a.id)]);
    for (const g of doc.gateways) {
      // The checks that need no plugin: no secret in a gateway row, an account that exists.
      const secret = Object.keys(g.config).filter((k) => SECRET_FIELD.test(k));
      if (secret.length > 0) throw new MdhubError('MDH_ERR_CONFIG_SECRET_IN_GATEWAY', { gateway: g.id, fields: secret, reason: 'credentials belong to the account' });
      if (g.account_id !== null && !accountIds.has(g.account_id)) throw unknownId('account', g.account_id);
      ops.push({ op: 'put', entity: 'gateways', row: { ...g, created_at: now, updated_at: now } });
    }
    for (const g of doc.groups) ops.push({ op: 'put', entity: 'groups', row: { ...g, created_at: now, updated_at: now } });
    for (const s of doc.settings) {
      const def = SETTINGS[s.key];
      if (!def) throw new MdhubError('MDH_ERR_CONFIG_INVALID', { source: 'config import', reason: `unknown setting ${s.key}` });
      ops.push({ op: 'put', entity: 'settings', row: { key: s.key, value: parse(def.schema, s.value, `settings.${s.key}`), updated_at: now } });
    }
    for (const o of doc.hub_overrides) ops.push({ op: 'put', entity: 'hubOverrides', row: { ...o, updated_at: now } });
    for (const c of doc.calendar_overrides) ops.push({ op: 'put', entity: 'calendarOverrides', row: c });
    for (const u of doc.users) {
      if (u.password_hash) ops.push({ op: 'put', entity: 'users', row: { username: u.username, password_hash: u.password_hash, must_change: u.must_change, created_at: now, updated_at: now, last_login_at: null } });
    }
    if (secrets) ops.push(this.keyIdWrite());
    if (opts.replace) {
      const keep = {
        accounts: new Set(doc.accounts.map((a) => a.id)), gateways: new Set(doc.gateways.map((g) => g.id)), groups: new Set(doc.groups.map((g) => g.name)),
        plugins: new Set(doc.plugins.map((p) => p.package)),
      };
      for (const a of existingAccounts.keys()) if (!keep.accounts.has(a)) ops.push({ op: 'remove', entity: 'accounts', key: { id: a } });
      for (const g of (await this.repo.list('gateways')).rows) if (!keep.gateways.has(g.id)) ops.push({ op: 'remove', entity: 'gateways', key: { id: g.id } });
      for (const g of (await this.repo.list('groups')).rows) if (!keep.groups.has(g.name)) ops.push({ op: 'remove', entity: 'groups', key: { name: g.name } });
      for (const p of (await this.repo.list('plugins')).rows) if (!keep.plugins.has(p.package)) ops.push({ op: 'remove', entity: 'plugins', key: { package: p.package } });
    }
    await this.repo.write(ops);
    const counts = { accounts: doc.accounts.length, gateways: doc.gateways.length, groups: doc.groups.length, plugins: doc.plugins.length, settings: doc.settings.length };
    await this.audit(actor, 'config.import', opts.replace ? 'replace' : 'merge', counts);
    return counts;
  }

  // ---- the desired state of a running hub ----

  /**
   * Reads what `hubId` should run: enabled gateways (pinned to it or to none) whose plugin is registered
   * and enabled and whose account (if any) is enabled, each with its account merged in; the groups; the
   * cleansing settings (global, or this hub's override) and enabled filter plugins. A gateway that cannot run is skipped with its named
   * error; a row that does not parse is reported; neither stops the others.
   */
  async loadRuntime(hubId: string): Promise<RuntimeConfig> {
    const revision = await this.repo.revision();
    const [gateways, groups, plugins, accounts, settings, overrides] = await Promise.all([
      this.repo.list('gateways'), this.repo.list('groups'), this.repo.list('plugins'), this.repo.list('accounts'), this.repo.list('settings'), this.repo.list('hubOverrides'),
    ]);
    const bad = [...gateways.bad, ...groups.bad, ...plugins.bad, ...accounts.bad, ...settings.bad, ...overrides.bad];
    const pluginRows = new Map(plugins.rows.map((p) => [p.package, p]));
    const accountRows = new Map(accounts.rows.map((a) => [a.id, a]));
    const registered = plugins.rows.map((p) => ({ package: p.package, kind: p.kind, enabled: p.enabled }));
    const out: RuntimeGateway[] = [];
    const skipped: RuntimeConfig['skipped'] = [];
    const skip = (id: string, err: unknown): void => {
      const e = err as { code?: string; message?: string; details?: Record<string, unknown> };
      skipped.push({ id, code: e.code ?? 'MDH_ERR_GATEWAY_START_FAILED', message: e.message ?? String(err), details: e.details ?? {} });
    };
    for (const g of gateways.rows) {
      if (!g.enabled || (g.hub_id !== null && g.hub_id !== hubId)) continue;
      try {
        // First: a disabled account stops its gateways whatever else is wrong with them (a key or plugin
        // problem would keep a running one running, see the reconciler's KEEP_RUNNING).
        if (g.account_id !== null && accountRows.get(g.account_id)?.enabled === false) {
          throw new MdhubError('MDH_ERR_ACCOUNT_DISABLED', { gateway: g.id, account: g.account_id, reason: `account ${g.account_id} is disabled` });
        }
        const prow = pluginRows.get(g.plugin);
        if (!prow) throw new PluginError('MDH_ERR_PLUGIN_NOT_REGISTERED', { gateway: g.id, plugin: g.plugin, reason: `npx mdhub plugin add ${g.plugin}` });
        if (!prow.enabled) throw new PluginError('MDH_ERR_PLUGIN_DISABLED', { gateway: g.id, plugin: g.plugin });
        const plugin = await this.registry.load(g.plugin, 'gateway');
        await this.registry.checkDependencies(plugin, registered);
        const config: Record<string, unknown> = { ...g.config };
        if (g.account_id !== null) {
          const a = accountRows.get(g.account_id);
          if (!a) throw unknownId('account', g.account_id);
          const secrets = this.decryptAccount(a); // a wrong key is a named error for this gateway only
          const supplied: Record<AccountField, unknown> = {
            broker_id: a.broker_id, user_id: a.user_id, fronts: a.fronts, app_id: a.app_id, password: secrets.password ?? undefined, auth_code: secrets.auth_code ?? undefined,
          };
          for (const f of plugin.accountFields ?? ACCOUNT_FIELDS) if (supplied[f] !== undefined) config[f] = supplied[f];
        }
        // The child validates what it receives too; checking here keeps a hand-edited row from a restart loop.
        parsePluginConfig(plugin, g.id, config);
        const fingerprint = crypto.createHash('sha256').update(JSON.stringify([g.plugin, config])).digest('hex');
        out.push({ id: g.id, plugin: g.plugin, accountId: g.account_id, config, simulated: plugin.simulated === true || config['simulated'] === true, fingerprint });
      } catch (err) {
        skip(g.id, err);
      }
    }
    const rtGroups = groups.rows.map((grp) => ({
      name: grp.name, policy: grp.policy, instruments: grp.instruments,
      // a source that is not running here keeps its place (it may run later); the arbiter skips unhealthy ones
      sources: grp.sources.map((s) => s.gateway),
      canaries: grp.canaries,
    }));
    const globalH = settings.rows.find((s) => s.key === 'health')?.value;
    const hubH = overrides.rows.find((o) => o.hub_id === hubId && o.key === 'health')?.value;
    const h = HealthSettingsSchema.safeParse(hubH ?? globalH ?? {});
    if (!h.success) bad.push({ table: hubH !== undefined ? 'hub_overrides' : 'settings', key: 'health', reason: describeIssues(h.error.issues) });

    const globalA = settings.rows.find((s) => s.key === 'alerts')?.value;
    const a = AlertSettingsSchema.safeParse(globalA ?? {});
    if (!a.success) bad.push({ table: 'settings', key: 'alerts', reason: describeIssues(a.error.issues) });

    const globalC = settings.rows.find((s) => s.key === 'cleansing')?.value;
    const hubC = overrides.rows.find((o) => o.hub_id === hubId && o.key === 'cleansing')?.value;
    const c = CleansingSettingsSchema.safeParse(hubC ?? globalC ?? {});
    const cs = c.success ? c.data : { enabled: true };
    if (!c.success) bad.push({ table: hubC !== undefined ? 'hub_overrides' : 'settings', key: 'cleansing', reason: describeIssues(c.error.issues) });
    const filters: Array<{ plugin: string; config: unknown }> = [];
    const filterPackages: string[] = [];
    const healthChecks: RuntimeConfig['healthChecks'] = [];
    const notes: string[] = [];
    for (const p of plugins.rows) {
      if (!p.enabled) continue;
      if (p.kind === 'filter') {
        try {
          const m = await this.registry.load(p.package, 'filter');
          await this.registry.checkDependencies(m, registered);
          filters.push({ plugin: m.name, config: p.config });
          filterPackages.push(p.package);
        } catch (err) {
          skip(`plugin:${p.package}`, err);
        }
      } else if (p.kind === 'health-check') {
        try {
          const m = await this.registry.load(p.package, 'health-check');
          await this.registry.checkDependencies(m, registered);
          parsePluginConfig(m, p.package, p.config);
          healthChecks.push({ plugin: p.package, config: p.config });
        } catch (err) {
          skip(`plugin:${p.package}`, err);
        }
      } else if (p.kind === 'sink') {
        notes.push(`plugin ${p.package} (${p.kind}) is registered; this version does not run ${p.kind} plugins yet`);
      }
    }
    const options = {
      ...(cs.thresholds ? { thresholds: cs.thresholds } : {}),
      ...(cs.disable ? { disable: cs.disable } : {}),
      ...(cs.log ? { log: cs.log } : {}),
      groups: groups.rows.map((grp) => ({ name: grp.name, match: { patterns: grp.instruments }, ...grp.cleansing })),
      filters,
    };
    const checked = cleansingConfigSchema.safeParse(options);
    if (!checked.success) bad.push({ table: 'settings', key: 'cleansing', reason: describeIssues(checked.error.issues) });
    return {
      revision, gateways: out, skipped, groups: rtGroups, bad, notes, health: h.success ? h.data : {}, healthChecks, alerts: a.success ? a.data : AlertSettingsSchema.parse({}),
      cleansing: { enabled: cs.enabled, options: checked.success ? options : { filters }, plugins: filterPackages },
    };
  }
}
