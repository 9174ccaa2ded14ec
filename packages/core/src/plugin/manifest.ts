/**
 * Plugin manifests: one typed shape per kind, `definePlugin` (the config type is inferred from the zod
 * schema) and the one checker every kind goes through when it is registered. Loads nothing of the
 * runtime: a gateway child process imports this, its link and its plugin.
 */
import semver from 'semver';
import type { Exchange, LogLevel, MarketTick } from '@mdhub/protocol';
import type { ZodType } from 'zod';
import type { CleansingMarket, Filter } from '../cleansing/types.js';
import { BUILTIN_RULES } from '../cleansing/rule-names.js';
import type { TradingCalendar } from '../market/calendar.js';
import type { Clock } from '../market/types.js';
import { CORE_VERSION } from '../version.js';
import { PluginError } from './errors.js';

/** Every plugin kind. `sink` is reserved (it comes later). */
export const PLUGIN_KINDS = ['gateway', 'filter', 'health-check', 'sink'] as const;
export type PluginKind = (typeof PLUGIN_KINDS)[number];

/**
 * Connection state a gateway reports (vn.py users know these steps). Only `subscribed` feeds the race;
 * every other state takes the source out of arbitration at once.
 */
export type GatewayState = 'connecting' | 'connected' | 'logged_in' | 'subscribed' | 'disconnected' | 'stopped';

/** Fields a broker account supplies to a gateway's configuration (the hub merges them in; secrets decrypted). */
export const ACCOUNT_FIELDS = ['broker_id', 'user_id', 'password', 'fronts', 'app_id', 'auth_code'] as const;
export type AccountField = (typeof ACCOUNT_FIELDS)[number];

/** Writes a log record attributed to the plugin instance. */
export type PluginLog = (level: LogLevel, msg: string, details?: Record<string, unknown>) => void;

/** What the core gives a gateway instance. It runs inside the gateway's own child process. */
export interface GatewayContext<C = unknown> {
  /** Instance id (the source id in counters and on the wire's `gateway_name`). */
  readonly id: string;
  readonly hubId: string;
  readonly runId: string;
  /** The instance configuration (account fields merged in), validated against the plugin's schema. */
  readonly config: C;
  readonly clock: Clock;
  readonly calendar: TradingCalendar;
  /**
   * A folder of this instance's own, created (mode 0700) before `create`: `<data dir>/gateways/<id>/`.
   * Vendor flow files and other per-instance state go here.
   */
  readonly dataDir: string;
  /** Hands ticks to the data link. Everything emitted in one event-loop turn leaves as one batch. */
  emit(ticks: readonly MarketTick[]): void;
  setState(state: GatewayState, reason?: string): void;
  log: PluginLog;
  /**
   * Facts shown with the gateway's status (`mdhub status`, the status topic): the vendor API version,
   * the front in use, the trading day the front reported, subscription counts. Merged into what was
   * reported before; a key set to null is removed. Keep it small (a few hundred bytes).
   */
  report(info: Record<string, unknown>): void;
  /**
   * The instruments this instance subscribes to, with their reference data. The hub creates their state
   * before their first tick (so a first burst does not pay for it) and serves them in the snapshot
   * service's `instruments` reply. Report the whole list again after it changes.
   */
  instruments(list: readonly InstrumentRef[]): void;
  /**
   * The plugin's own watchdog found the source broken in a way only a new process can fix (a vendor
   * thread hung inside the library): the supervisor hard-restarts the process (SIGKILL, then a new one,
   * with its usual backoff and one hard restart at a time).
   */
  unhealthy(reason: string): void;
  /**
   * A failure after start that retrying cannot fix (a refused login): the process stops the gateway and
   * exits, and a non-retryable error is not restarted until the configuration changes or an admin starts
   * it. `err` should be a named error (a `code`, and `retryable`).
   */
  fail(err: Error): void;
}

/** Reference data of one instrument, as a gateway reports it (see {@link GatewayContext.instruments}). */
export interface InstrumentRef {
  symbol: string;
  exchange: Exchange;
  /** Display name (vn.py's ContractData.name). */
  name?: string;
  /** Product code (`rb`, `SR`, `510050`). */
  product?: string;
  kind?: 'future' | 'option';
  price_tick?: number;
  /** Contract multiplier (CTP VolumeMultiple). */
  multiplier?: number;
  /** Last trading day, `YYYYMMDD`, when known. */
  expiry?: string | null;
  /** Options: the underlying instrument or product, call or put, strike. */
  underlying?: string;
  option_type?: 'call' | 'put';
  strike?: number;
}

/** A running gateway instance. */
export interface Gateway {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Plugin-specific commands (the simulator's fault injection, say). */
  control?(cmd: { op: string; [k: string]: unknown }): Promise<unknown> | unknown;
}

/** What the core gives a filter instance when it creates it (in the hub's data-plane thread). */
export interface FilterPluginContext<C = unknown> {
  /** The filter's configuration (its plugin row), validated against the plugin's schema. */
  readonly config: C;
  /** Products, sessions and the calendar, as the built-in rules see them. */
  readonly market: CleansingMarket;
  /** Version of @mdhub/core running the plugin. */
  readonly coreVersion: string;
  log: PluginLog;
}

/** What the core gives a health-check instance when it creates it (on the hub's control plane). */
export interface HealthCheckContext<C = unknown> {
  /** The check's configuration (its plugin row), validated against the plugin's schema. */
  readonly config: C;
  readonly clock: Clock;
  readonly calendar: TradingCalendar;
  log: PluginLog;
}

/** What a health check sees of one source, once a second (docs/health.md). */
export interface HealthCheckInput {
  source: string;
  /** The gateway's connection state. */
  state: GatewayState;
  /** The source's health now (`ok`, `degraded`, `stale`, `restarting`, `dead`, `circuit_open`, `stopped`). */
  health: string;
  /** Since its process started, ms (0 when none runs). */
  upMs: number;
  /** Worst lag behind the newest canary state another source delivered, ms, and on which canary. */
  behindMs: number;
  canary: string | null;
  /** Since it last delivered any copy, ms (null: never in this run). */
  dataAgeMs: number | null;
  /** Its quality over the last minute (null before its first copy). */
  quality: {
    copies: number; wins: number; win_share: number; lag_p50_ms: number | null; lag_p99_ms: number | null;
    clock_offset_p50_ms: number | null; clock_offset_p99_ms: number | null;
  } | null;
  /** Status facts its gateway reported (API version, front, trading day …). */
  info: Readonly<Record<string, unknown>>;
  /** Whether one of its groups is inside a trading session now (market clock). */
  inSession: boolean;
}

/** A check's verdict on a source: `stale` takes it out of the race, `degraded` flags it; nothing (or `ok`) says nothing. */
export type HealthCheckVerdict = { health: 'ok' | 'degraded' | 'stale'; reason: string } | null | undefined;

/** A health-check instance: `check` is called for each source once a second; it must be quick and must not block. */
export interface HealthCheck {
  name: string;
  check(input: HealthCheckInput): HealthCheckVerdict;
  close?(): void;
}

/** Reserved: sinks (a bridge to NATS JetStream, say) come later. */
export interface SinkContext<C = unknown> {
  readonly config: C;
  log: PluginLog;
}

interface ManifestCommon<C> {
  /** Unique plugin name (the npm package name by convention). */
  readonly name: string;
  /** Semver range of @mdhub/core the plugin supports. */
  readonly coreVersion: string;
  /** The plugin's own version (what other plugins' `dependencies` are checked against). */
  readonly version?: string;
  readonly description?: string;
  /** Plugins that must be registered and enabled: name → semver range of their `version`. */
  readonly dependencies?: Readonly<Record<string, string>>;
  /** Zod schema of the instance configuration (validated before `create`). */
  readonly configSchema: ZodType<C>;
}

/** Manifest of a gateway plugin: what an npm package exports as `plugin` (or default). */
export interface GatewayPlugin<C = unknown> extends ManifestCommon<C> {
  readonly kind: 'gateway';
  /** vn.py-style default instance name. */
  readonly defaultName: string;
  /** True for simulated sources: the hub then runs a shifted (simulated) market clock. */
  readonly simulated?: boolean;
  /** Configuration fields the instance's broker account supplies (a stored row is validated without them). */
  readonly accountFields?: readonly AccountField[];
  create(ctx: GatewayContext<C>): Gateway;
}

/** Manifest of a filter plugin (cleansing, per source, before the race). */
export interface FilterPlugin<C = unknown> extends ManifestCommon<C> {
  readonly kind: 'filter';
  create(ctx: FilterPluginContext<C>): Filter;
}

/** Manifest of a health-check plugin: adds checks to the source health monitor (docs/health.md). */
export interface HealthCheckPlugin<C = unknown> extends ManifestCommon<C> {
  readonly kind: 'health-check';
  create(ctx: HealthCheckContext<C>): HealthCheck;
}

/** Manifest of a sink plugin (reserved). */
export interface SinkPlugin<C = unknown> extends ManifestCommon<C> {
  readonly kind: 'sink';
  create(ctx: SinkContext<C>): unknown;
}

export type AnyPlugin = GatewayPlugin | FilterPlugin | HealthCheckPlugin | SinkPlugin;
export type PluginOfKind<K extends PluginKind> = Extract<AnyPlugin, { kind: K }>;

type Input<P, C> = Omit<P, 'configSchema' | 'create'> & { readonly configSchema: ZodType<C> };

/**
 * Declares a plugin. The configuration type is inferred from `configSchema` (defaults applied), so
 * `create` sees `ctx.config` fully typed without casts:
 *
 * ```ts
 * export const plugin = definePlugin({
 *   kind: 'gateway', name: 'my-gateway', coreVersion: '^0.1.0', defaultName: 'MY',
 *   configSchema: z.object({ fronts: z.array(z.string()) }).strict(),
 *   create: (ctx) => new MyGateway(ctx),  // ctx.config: { fronts: string[] }
 * });
 * ```
 * The manifest is checked when the hub registers it (compatibility, dependencies), not here.
 */
export function definePlugin<C>(m: Input<GatewayPlugin<C>, C> & { create(ctx: GatewayContext<NoInfer<C>>): Gateway }): GatewayPlugin<C>;
export function definePlugin<C>(m: Input<FilterPlugin<C>, C> & { create(ctx: FilterPluginContext<NoInfer<C>>): Filter }): FilterPlugin<C>;
export function definePlugin<C>(m: Input<HealthCheckPlugin<C>, C> & { create(ctx: HealthCheckContext<NoInfer<C>>): HealthCheck }): HealthCheckPlugin<C>;
export function definePlugin<C>(m: Input<SinkPlugin<C>, C> & { create(ctx: SinkContext<NoInfer<C>>): unknown }): SinkPlugin<C>;
export function definePlugin(m: AnyPlugin): AnyPlugin {
  return Object.freeze({ ...m });
}

export interface CheckOptions {
  /** The kind the caller will use the plugin as (MDH_ERR_PLUGIN_WRONG_KIND otherwise). */
  kind?: PluginKind;
  /** Where the manifest came from (a package name or file), for the error's details. */
  source?: string;
  /** Core version to check `coreVersion` against (default: this core's). */
  coreVersion?: string;
}

const bad = (source: string, name: unknown, field: string, reason: string): PluginError =>
  new PluginError('MDH_ERR_PLUGIN_BAD_MANIFEST', { source, ...(typeof name === 'string' ? { name } : {}), field, reason });

/**
 * Checks a manifest of any kind when it is registered; each failure has its own code:
 * MDH_ERR_PLUGIN_BAD_MANIFEST (with the `field` and `reason`), MDH_ERR_PLUGIN_WRONG_KIND,
 * MDH_ERR_PLUGIN_INCOMPATIBLE. Dependencies are checked by the registry, which knows what is registered.
 */
export function checkManifest<K extends PluginKind>(m: unknown, opts: CheckOptions & { kind: K }): PluginOfKind<K>;
export function checkManifest(m: unknown, opts?: CheckOptions): AnyPlugin;
export function checkManifest(m: unknown, opts: CheckOptions = {}): AnyPlugin {
  const source = opts.source ?? '(inline)';
  if (typeof m !== 'object' || m === null) throw bad(source, undefined, '(root)', 'not an object: export the manifest as `plugin` or default');
  const p = m as Record<string, unknown>;
  const name = p['name'];
  if (typeof name !== 'string' || name.length === 0 || name.length > 214) throw bad(source, undefined, 'name', 'a non-empty string of at most 214 characters');
  const kind = p['kind'];
  if (!(PLUGIN_KINDS as readonly unknown[]).includes(kind)) throw bad(source, name, 'kind', `one of ${PLUGIN_KINDS.join(', ')}`);
  if (opts.kind !== undefined && kind !== opts.kind) throw new PluginError('MDH_ERR_PLUGIN_WRONG_KIND', { source, name, kind, expected: opts.kind });
  const range = p['coreVersion'];
  if (typeof range !== 'string' || semver.validRange(range) === null) throw bad(source, name, 'coreVersion', 'a semver range of @mdhub/core, e.g. ^0.1.0');
  const core = opts.coreVersion ?? CORE_VERSION;
  if (!semver.satisfies(core, range)) throw new PluginError('MDH_ERR_PLUGIN_INCOMPATIBLE', { source, name, coreVersion: range, core });
  if (p['version'] !== undefined && (typeof p['version'] !== 'string' || semver.valid(p['version']) === null)) throw bad(source, name, 'version', 'a semver version');
  const deps = p['dependencies'];
  if (deps !== undefined) {
    if (typeof deps !== 'object' || deps === null || Array.isArray(deps)) throw bad(source, name, 'dependencies', 'an object of plugin name → semver range');
    for (const [dep, r] of Object.entries(deps)) {
      if (typeof r !== 'string' || semver.validRange(r) === null) throw bad(source, name, `dependencies.${dep}`, 'a semver range');
      if (dep === name) throw bad(source, name, `dependencies.${dep}`, 'a plugin cannot depend on itself');
    }
  }
  const schema = p['configSchema'] as { safeParse?: unknown } | undefined;
  if (typeof schema !== 'object' || schema === null || typeof schema.safeParse !== 'function') throw bad(source, name, 'configSchema', 'a zod schema');
  if (typeof p['create'] !== 'function') throw bad(source, name, 'create', 'a function create(ctx)');
  if (kind === 'gateway') {
    if (typeof p['defaultName'] !== 'string' || p['defaultName'].length === 0) throw bad(source, name, 'defaultName', 'a non-empty string');
    if (p['simulated'] !== undefined && typeof p['simulated'] !== 'boolean') throw bad(source, name, 'simulated', 'a boolean');
    const af = p['accountFields'];
    if (af !== undefined && (!Array.isArray(af) || af.some((f) => !(ACCOUNT_FIELDS as readonly unknown[]).includes(f)))) {
      throw bad(source, name, 'accountFields', `a list of ${ACCOUNT_FIELDS.join(', ')}`);
    }
  }
  if (kind === 'filter' && (BUILTIN_RULES as readonly string[]).includes(name)) throw bad(source, name, 'name', 'the name of a built-in rule');
  return p as unknown as AnyPlugin;
}

/** Formats zod issues as `path: message; …`. */
export function describeIssues(issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>): string {
  return issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** Validates an instance configuration against the plugin's schema (MDH_ERR_PLUGIN_BAD_CONFIG naming the instance). */
export function parsePluginConfig<C>(plugin: { name: string; configSchema: ZodType<C> }, instance: string, config: unknown): C {
  const r = plugin.configSchema.safeParse(config ?? {});
  if (!r.success) throw new PluginError('MDH_ERR_PLUGIN_BAD_CONFIG', { plugin: plugin.name, instance, reason: describeIssues(r.error.issues) });
  return r.data;
}
