/**
 * The cleansing pipeline: runs the built-in rules and plugin filters over each tick of one source,
 * keeping interned per-instrument and per-source state, counting rejections per rule × source × group
 * and logging rejections through a token bucket per rule.
 */
import type { Exchange, MarketTick } from '@mdhub/protocol';
import { CORE_VERSION } from '../version.js';
import { matchesAny, parseInstrumentPatterns } from '../market/patterns.js';
import type { InstrumentPattern } from '../market/patterns.js';
import { BUILTIN_RULES, DEFAULT_THRESHOLDS, cleansingConfigSchema } from './config.js';
import type { CleansingConfig, CleansingGroupConfig, CleansingThresholds } from './config.js';
import { CleansingError } from './errors.js';
import { defaultCleansingMarket } from './market.js';
import { instantiateFilter } from './plugin.js';
import { BUILTIN_CHECKS, commitAccepted } from './rules.js';
import type { RuleEnv } from './rules.js';
import { SourceState, locate, makeRecord } from './state.js';
import type { GroupRuntime, InstrumentRecord } from './state.js';
import type { FilterPlugin, FilterPluginContext, PluginLog } from '../plugin/manifest.js';
import type {
  CheckResult, CleansingMarket, CleansingStats, Filter, FilterErrorCount, FilterFailure, FilterVerdict, InstrumentSpec, RejectionCount,
  RejectionLogRecord,
} from './types.js';

/** Options of {@link createCleansingPipeline}; every field is optional. */
export interface CleansingPipelineOptions {
  /** Plain-JSON configuration (validated with {@link cleansingConfigSchema}; MDH_ERR_CLEANSING_BAD_CONFIG). */
  config?: CleansingConfig;
  /** Market facts; default: products.ts + the shared trading calendar. */
  market?: CleansingMarket;
  /** Filter plugins the configuration's `filters` may name. */
  plugins?: readonly FilterPlugin<unknown>[];
  /** Filter instances added as they are (run for every group, after the configured plugin filters). */
  filters?: readonly Filter<unknown>[];
  /** Receives sampled rejection records (a token bucket per rule; see config `log`). */
  log?: (record: RejectionLogRecord) => void;
  /** Core version plugins are checked against (default: this core's). */
  coreVersion?: string;
  /** Log of the plugin filters' own records (their `ctx.log`). */
  pluginLog?: (plugin: string) => PluginLog;
  /** Builds a filter instance's context (the hub resolves it from the instance's plugin scope). */
  filterContext?: (name: string, config: unknown, log: PluginLog) => FilterPluginContext<unknown>;
  /**
   * A plugin filter threw: called on the 1st, 2nd, 4th, 8th, … failure of a filter on a source, and when
   * the failures disable it for that source. A throwing call never rejects the tick: it is judged
   * without that filter.
   */
  onFilterFailure?: (failure: FilterFailure) => void;
  /** A filter that throws `count` times within `windowMs` is disabled for that source (default 10 in 10 s). */
  filterFailureLimit?: { count: number; windowMs: number };
}

/** A running cleansing pipeline. */
export interface CleansingPipeline {
  /**
   * Checks one tick of `source` (default: `tick.gateway_name`). Returns the shared `{ ok: true }` or
   * `{ ok: false, rule, reason }`. Accepted ticks update the source's state; "now" is `tick.localtime`.
   * `slot`: an object the caller keeps per instrument; the pipeline remembers its record there and skips
   * its own lookups next time (checked against the tick's symbol and exchange, so a wrong slot is harmless).
   */
  check(tick: MarketTick, source?: string, slot?: { rec?: unknown }): CheckResult;
  /**
   * Tells the pipeline that `source` delivered `tick`, an already accepted state (another source's copy won
   * the race with it), arriving at `localtime`: the source's state moves on as if the copy had been
   * accepted, without running the rules or counting a check. The hub uses it for race duplicates it
   * recognises before building them.
   */
  observe(tick: MarketTick, source: string, localtime: number, slot?: { rec?: unknown }): void;
  /**
   * Creates an instrument's record before its first tick and remembers it in `slot`, and the state of
   * `source` in it when given (the hub prepares the instruments a gateway reported, so the first burst
   * does not pay for them).
   */
  prepare(symbol: string, exchange: Exchange, slot: { rec?: unknown }, source?: string): void;
  /** Counters since creation or the last {@link resetStats}. */
  stats(): CleansingStats;
  resetStats(): void;
  /** Forgets a source's per-instrument state (after a hard restart, say); its counters stay. */
  forgetSource(source: string): void;
  /** The group an instrument belongs to ('default' when no configured group matches). */
  groupOf(symbol: string, exchange: Exchange): string;
  /** Every rule name the pipeline can reject with (built-in rules, then plugin rules). */
  readonly rules: readonly string[];
}

/** The accept answer, shared (never allocate on the accept path). */
export const ACCEPTED: CheckResult = Object.freeze({ ok: true as const });

const UNKNOWN_CACHE_LIMIT = 10_000;
const isPowerOfTwo = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;
const NO_SOURCE = '(unknown)';

/** Per source: which plugin filters are disabled for it (1), their error counts and recent failure times. */
interface SourceFilterHealth {
  readonly disabled: Uint8Array;
  readonly errors: number[];
  readonly recent: number[][];
}

interface Bucket {
  tokens: number;
  last: number;
  suppressed: number;
}

interface PluginEntry {
  readonly filter: Filter<unknown>;
  readonly groups: ReadonlySet<string> | null;
}

function matches(g: CleansingGroupConfig, patterns: readonly InstrumentPattern[] | null, symbol: string, exchange: string, spec: InstrumentSpec | undefined): boolean {
  const m = g.match;
  if (!m) return true;
  if (patterns && !matchesAny(patterns, symbol, exchange)) return false;
  if (m.exchanges && !m.exchanges.includes(exchange)) return false;
  if (m.symbols && !m.symbols.includes(symbol)) return false;
  if (m.products && !(spec && m.products.includes(spec.product))) return false;
  if (m.kinds && !(spec && m.kinds.includes(spec.kind))) return false;
  return true;
}

/**
 * Creates a cleansing pipeline. With no options it uses the default thresholds, one group `default`
 * and the market module (tick size and multiplier from products, sessions / auctions / trading day
 * from the calendar). Throws CleansingError (MDH_ERR_CLEANSING_BAD_CONFIG, MDH_ERR_CLEANSING_UNKNOWN_RULE,
 * MDH_ERR_PLUGIN_*) for a bad configuration.
 */
export function createCleansingPipeline(options: CleansingPipelineOptions = {}): CleansingPipeline {
  const parsed = cleansingConfigSchema.safeParse(options.config ?? {});
  if (!parsed.success) {
    throw new CleansingError('MDH_ERR_CLEANSING_BAD_CONFIG', {
      reason: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    });
  }
  const cfg = parsed.data;
  const market = options.market ?? defaultCleansingMarket();
  const env: RuleEnv = { market };
  const coreVersion = options.coreVersion ?? CORE_VERSION;

  // Plugin filters: configured instances first, then the ones passed as objects.
  const registry = new Map<string, FilterPlugin<unknown>>();
  for (const p of options.plugins ?? []) registry.set(p.name, p);
  const plugins: PluginEntry[] = [];
  for (const inst of cfg.filters ?? []) {
    const plugin = registry.get(inst.plugin);
    if (!plugin) throw new CleansingError('MDH_ERR_PLUGIN_UNKNOWN', { plugin: inst.plugin, registered: [...registry.keys()] });
    const log = options.pluginLog?.(plugin.name);
    const env = { market, coreVersion, ...(log ? { log } : {}), ...(options.filterContext ? { context: options.filterContext } : {}) };
    plugins.push({ filter: instantiateFilter(plugin, inst.config, env), groups: inst.groups ? new Set(inst.groups) : null });
  }
  for (const f of options.filters ?? []) plugins.push({ filter: f, groups: null });
  const names = new Set<string>(BUILTIN_RULES);
  for (const { filter } of plugins) {
    if (names.has(filter.name)) throw new CleansingError('MDH_ERR_PLUGIN_DUPLICATE', { name: filter.name });
    names.add(filter.name);
  }
  const pluginRules = plugins.flatMap((p) => p.filter.rules.filter((r) => !(BUILTIN_RULES as readonly string[]).includes(r)));
  const allRules: readonly string[] = Object.freeze([...BUILTIN_RULES, ...new Set(pluginRules)]);
  const known = new Set<string>([...allRules, ...plugins.map((p) => p.filter.name)]);
  const checkNames = (list: readonly string[] | undefined, where: string): void => {
    for (const n of list ?? []) if (!known.has(n)) throw new CleansingError('MDH_ERR_CLEANSING_UNKNOWN_RULE', { rule: n, where, known: [...known] });
  };
  checkNames(cfg.disable, 'disable');

  const groupConfigs: CleansingGroupConfig[] = [...(cfg.groups ?? [])];
  const seenGroups = new Set<string>();
  const catchAll = (g: CleansingGroupConfig): boolean => (g.match?.patterns ?? []).some((p) => p === 'all' || p === '*' || p === '*.*');
  for (const g of groupConfigs) {
    // `default` names the group of instruments no other group claims: configurable as a catch-all group.
    if (seenGroups.has(g.name) || (g.name === 'default' && !catchAll(g))) {
      throw new CleansingError('MDH_ERR_CLEANSING_BAD_CONFIG', { reason: `group name ${g.name} is duplicated or reserved` });
    }
    seenGroups.add(g.name);
    checkNames(g.disable, `groups.${g.name}.disable`);
    checkNames(g.enable, `groups.${g.name}.enable`);
  }
  for (const p of plugins) {
    for (const g of p.groups ?? []) {
      if (g !== 'default' && !seenGroups.has(g)) throw new CleansingError('MDH_ERR_CLEANSING_BAD_CONFIG', { reason: `filter ${p.filter.name} names unknown group ${g}` });
    }
  }

  const makeGroup = (name: string, gc: CleansingGroupConfig | undefined): GroupRuntime => {
    const th: CleansingThresholds = { ...DEFAULT_THRESHOLDS, ...(cfg.thresholds ?? {}), ...(gc?.thresholds ?? {}) };
    const off = new Set<string>(cfg.disable ?? []);
    for (const n of gc?.enable ?? []) off.delete(n);
    for (const n of gc?.disable ?? []) off.add(n);
    const enabled = new Uint8Array(BUILTIN_RULES.length);
    BUILTIN_RULES.forEach((r, i) => { enabled[i] = off.has(r) ? 0 : 1; });
    const pluginEnabled = new Uint8Array(plugins.length);
    plugins.forEach((p, i) => {
      const f = p.filter;
      const allOff = off.has(f.name) || (f.rules.length > 0 && f.rules.every((r) => off.has(r)));
      pluginEnabled[i] = !allOff && (p.groups === null || p.groups.has(name)) ? 1 : 0;
    });
    return { name, th, enabled, pluginEnabled, windows: new Map() };
  };
  const groups = groupConfigs.map((g) => {
    let patterns: InstrumentPattern[] | null = null;
    try {
      patterns = g.match?.patterns ? parseInstrumentPatterns(g.match.patterns) : null;
    } catch (err) {
      throw new CleansingError('MDH_ERR_CLEANSING_BAD_CONFIG', { reason: `group ${g.name}: ${(err as Error).message}` }, err);
    }
    return { cfg: g, patterns, rt: makeGroup(g.name, g) };
  });
  const defaultGroup = makeGroup('default', undefined);

  const logCfg = { burst: cfg.log?.burst ?? 10, perSecond: cfg.log?.perSecond ?? 1 };
  const log = options.log;
  const buckets = new Map<string, Bucket>();

  // State.
  const records = new Map<string, Map<string, InstrumentRecord>>();
  let unknownCount = 0;
  /** group → source → rule → count */
  const counters = new Map<string, Map<string, Map<string, number>>>();
  const sourceStats = new Map<string, { checked: number; rejected: number }>();
  /** Per source: plugin filters disabled for it, errors per filter, and the recent failure times. */
  const filterHealth = new Map<string, SourceFilterHealth>();
  const failLimit = options.filterFailureLimit ?? { count: 10, windowMs: 10_000 };
  let checked = 0;
  let accepted = 0;

  const countersFor = (group: string, source: string): Map<string, number> => {
    let bySource = counters.get(group);
    if (!bySource) counters.set(group, (bySource = new Map()));
    let m = bySource.get(source);
    if (!m) bySource.set(source, (m = new Map()));
    return m;
  };
  const statsFor = (source: string): { checked: number; rejected: number } => {
    let st = sourceStats.get(source);
    if (!st) sourceStats.set(source, (st = { checked: 0, rejected: 0 }));
    return st;
  };

  const resolve = (symbol: string, exchange: Exchange): { spec: InstrumentSpec | undefined; group: GroupRuntime } => {
    let spec: InstrumentSpec | undefined;
    try {
      spec = typeof symbol === 'string' && typeof exchange === 'string' ? market.instrument(symbol, exchange) : undefined;
    } catch {
      spec = undefined;
    }
    const hit = groups.find((g) => matches(g.cfg, g.patterns, symbol, exchange, spec));
    return { spec, group: hit ? hit.rt : defaultGroup };
  };

  const recordOf = (symbol: string, exchange: Exchange): InstrumentRecord => {
    let byEx = records.get(exchange);
    if (!byEx) {
      byEx = new Map();
      if (records.size < 64) records.set(exchange, byEx);
    }
    let rec = byEx.get(symbol);
    if (rec) return rec;
    const { spec, group } = resolve(symbol, exchange);
    rec = makeRecord(symbol, exchange, spec, group);
    if (spec !== undefined) byEx.set(symbol, rec);
    else if (unknownCount < UNKNOWN_CACHE_LIMIT) {
      unknownCount++;
      byEx.set(symbol, rec);
    }
    return rec;
  };

  const healthFor = (source: string): SourceFilterHealth => {
    let h = filterHealth.get(source);
    if (!h) filterHealth.set(source, (h = { disabled: new Uint8Array(plugins.length), errors: new Array<number>(plugins.length).fill(0), recent: plugins.map(() => []) }));
    return h;
  };

  /** A plugin filter's call threw: counted, reported at powers of two, and the filter disabled for the source when it keeps failing. */
  const filterFailed = (i: number, source: string, call: FilterFailure['call'], err: unknown): void => {
    const h = healthFor(source);
    if (h.disabled[i] === 1) return;
    const count = ++h.errors[i]!;
    const now = Date.now();
    const recent = h.recent[i]!;
    recent.push(now);
    if (recent.length > failLimit.count) recent.shift();
    const disabled = recent.length >= failLimit.count && now - recent[0]! <= failLimit.windowMs;
    if (disabled) h.disabled[i] = 1;
    if (disabled || isPowerOfTwo(count)) {
      options.onFilterFailure?.({ filter: pluginFilters[i]!.name, source, call, error: err instanceof Error ? err.message : String(err), count, disabled });
    }
  };

  const sourceOf = (rec: InstrumentRecord, source: string): SourceState => {
    const list = rec.sources;
    for (let i = 0; i < list.length; i++) if (list[i]!.source === source) return list[i]!;
    const s = new SourceState(source, rec.info, list, countersFor(rec.group.name, source), statsFor(source), healthFor(source).disabled);
    list.push(s);
    return s;
  };

  const reject = (t: MarketTick, s: SourceState, rule: string, reason: string): CheckResult => {
    s.counters.set(rule, (s.counters.get(rule) ?? 0) + 1);
    s.stats.rejected++;
    if (log) {
      const now = t.localtime;
      let b = buckets.get(rule);
      if (!b) buckets.set(rule, (b = { tokens: logCfg.burst, last: now, suppressed: 0 }));
      const elapsed = now - b.last;
      if (elapsed > 0) {
        b.tokens = Math.min(logCfg.burst, b.tokens + (elapsed / 1000) * logCfg.perSecond);
        b.last = now;
      }
      if (b.tokens >= 1) {
        b.tokens -= 1;
        const suppressed = b.suppressed;
        b.suppressed = 0;
        log({
          rule, reason, source: s.source, group: s.instrument.group, symbol: String(t.symbol), exchange: String(t.exchange),
          datetime: t.datetime, localtime: t.localtime, suppressed,
        });
      } else {
        b.suppressed++;
      }
    }
    return { ok: false, rule, reason };
  };

  const nBuiltin = BUILTIN_CHECKS.length;
  const nPlugins = plugins.length;
  const pluginFilters = plugins.map((p) => p.filter);

  /** Tells the enabled plugin filters a tick of `s` was accepted (each call guarded like check). */
  const acceptedByPlugins = (t: MarketTick, s: SourceState, pe: Uint8Array): void => {
    const off = s.filtersOff;
    for (let i = 0; i < nPlugins; i++) {
      const f = pluginFilters[i]!;
      if (pe[i] !== 1 || off[i] === 1 || !f.accepted) continue;
      let call: FilterFailure['call'] = 'createState';
      try {
        let st = s.slots[i];
        if (st === undefined && f.createState) s.slots[i] = st = f.createState(s.instrument, s.source);
        call = 'accepted';
        f.accepted(t, s, st);
      } catch (err) {
        filterFailed(i, s.source, call, err);
      }
    }
  };

  const check = (t: MarketTick, source?: string, slot?: { rec?: unknown }): CheckResult => {
    checked++;
    let rec: InstrumentRecord;
    if (slot === undefined) rec = recordOf(t.symbol, t.exchange);
    else {
      const hint = slot.rec as InstrumentRecord | undefined;
      if (hint !== undefined && hint.info.symbol === t.symbol && hint.info.exchange === t.exchange) rec = hint;
      else slot.rec = rec = recordOf(t.symbol, t.exchange);
    }
    const s = sourceOf(rec, source ?? (typeof t.gateway_name === 'string' && t.gateway_name !== '' ? t.gateway_name : NO_SOURCE));
    s.stats.checked++;
    const g = rec.group;
    const en = g.enabled;
    if (rec.spec === undefined) {
      if (en[0] === 1) return reject(t, s, 'unknown_instrument', `${String(t.symbol)}.${String(t.exchange)} is not a known instrument`);
      accepted++;
      return ACCEPTED;
    }
    const th = g.th;
    rec.inWindow = locate(market, rec, t.trading_day, t.datetime);
    for (let i = 0; i < nBuiltin; i++) {
      if (en[i + 1] === 1) {
        const reason = BUILTIN_CHECKS[i]!.check(t, s, rec, th, env);
        if (reason !== null) return reject(t, s, BUILTIN_CHECKS[i]!.name, reason);
      }
    }
    if (nPlugins > 0) {
      const pe = g.pluginEnabled;
      const off = s.filtersOff;
      for (let i = 0; i < nPlugins; i++) {
        if (pe[i] !== 1 || off[i] === 1) continue;
        const f = pluginFilters[i]!;
        // A plugin's exception is caught per call: the tick is judged without it, never lost with it.
        let call: FilterFailure['call'] = 'createState';
        let v: FilterVerdict | undefined;
        try {
          let st = s.slots[i];
          if (st === undefined && f.createState) s.slots[i] = st = f.createState(rec.info, s.source);
          call = 'check';
          v = f.check(t, s, st);
        } catch (err) {
          filterFailed(i, s.source, call, err);
          continue;
        }
        if (v !== null && v !== undefined) {
          if (typeof v.rule !== 'string') {
            filterFailed(i, s.source, 'check', new Error(`check() returned ${JSON.stringify(v)}, not null or { rule, reason }`));
            continue;
          }
          return reject(t, s, v.rule, String(v.reason));
        }
      }
    }
    commitAccepted(t, s, rec, th);
    if (nPlugins > 0) acceptedByPlugins(t, s, g.pluginEnabled);
    accepted++;
    return ACCEPTED;
  };

  const observe = (t: MarketTick, source: string, localtime: number, slot?: { rec?: unknown }): void => {
    let rec: InstrumentRecord;
    const hint = slot?.rec as InstrumentRecord | undefined;
    if (hint !== undefined && hint.info.symbol === t.symbol && hint.info.exchange === t.exchange) rec = hint;
    else {
      rec = recordOf(t.symbol, t.exchange);
      if (slot) slot.rec = rec;
    }
    if (rec.spec === undefined) return;
    const s = sourceOf(rec, source);
    const g = rec.group;
    rec.inWindow = locate(market, rec, t.trading_day, t.datetime);
    commitAccepted(t, s, rec, g.th);
    s.localtime = localtime;
    if (nPlugins > 0) acceptedByPlugins(t, s, g.pluginEnabled);
  };

  const stats = (): CleansingStats => {
    const byRule: Record<string, number> = {};
    const rejections: RejectionCount[] = [];
    let rejected = 0;
    for (const [group, bySource] of counters) {
      for (const [source, m] of bySource) {
        for (const [rule, count] of m) {
          if (count === 0) continue;
          rejections.push({ rule, source, group, count });
          byRule[rule] = (byRule[rule] ?? 0) + count;
          rejected += count;
        }
      }
    }
    const bySource: Record<string, { checked: number; rejected: number }> = {};
    for (const [source, st] of sourceStats) bySource[source] = { checked: st.checked, rejected: st.rejected };
    const filterErrors: FilterErrorCount[] = [];
    for (const [source, h] of filterHealth) {
      h.errors.forEach((count, i) => {
        if (count > 0) filterErrors.push({ filter: pluginFilters[i]!.name, source, count, disabled: h.disabled[i] === 1 });
      });
    }
    return { checked, accepted, rejected, byRule, bySource, rejections, filterErrors };
  };

  const resetStats = (): void => {
    checked = 0;
    accepted = 0;
    for (const bySource of counters.values()) for (const m of bySource.values()) m.clear();
    for (const st of sourceStats.values()) {
      st.checked = 0;
      st.rejected = 0;
    }
  };

  const forgetSource = (source: string): void => {
    for (const byEx of records.values()) {
      for (const rec of byEx.values()) {
        const i = rec.sources.findIndex((s) => s.source === source);
        if (i >= 0) rec.sources.splice(i, 1);
      }
    }
  };

  return {
    check,
    observe,
    prepare: (symbol, exchange, slot, source) => {
      const hint = slot.rec as InstrumentRecord | undefined;
      const rec = hint !== undefined && hint.info.symbol === symbol && hint.info.exchange === exchange ? hint : (slot.rec = recordOf(symbol, exchange));
      if (source !== undefined) sourceOf(rec, source);
    },
    stats,
    resetStats,
    forgetSource,
    groupOf: (symbol, exchange) => recordOf(symbol, exchange).group.name,
    rules: allRules,
  };
}
