import type { LogRecord } from '@mdhub/protocol';
import type { CleansingConfig, CleansingStats, FilterFailure } from '../cleansing/index.js';
import { createCleansingPipeline } from '../cleansing/index.js';
import { loadPlugin } from '../plugin/load.js';
import type { FilterPlugin, PluginLog } from '../plugin/manifest.js';
import type { PluginScopes } from '../plugin/scope.js';
import type { TickCheck, TickObserve, TickPrepare } from './dataplane.js';

/** Cleansing settings as stored in the hub configuration (plain JSON). */
export interface CleansingSettings {
  enabled: boolean;
  /** The pipeline configuration (thresholds, groups, enabled rules, plugin filter instances). */
  options?: Record<string, unknown>;
  /** Module specifiers of filter plugins to register (their instances are configured in options.filters). */
  plugins?: string[];
}

export interface BuiltCheck {
  check: TickCheck;
  observe: TickObserve;
  stats: () => CleansingStats;
  forgetSource: (source: string) => void;
  prepare: TickPrepare;
}

/** Loads a filter plugin package (its `plugin` or default export) and checks its manifest. */
export async function loadFilterPlugin(specifier: string): Promise<FilterPlugin<unknown>> {
  return loadPlugin(specifier, 'filter');
}

/**
 * Builds the per-copy check the data plane runs before arbitration (undefined when disabled). Rejections
 * are logged through the pipeline's sampler (a token bucket per rule), so a flood cannot swamp the log.
 */
export async function buildCheck(s: CleansingSettings, log: (rec: LogRecord) => void, onFilterFailure?: (f: FilterFailure) => void, scopes?: PluginScopes): Promise<BuiltCheck | undefined> {
  if (!s.enabled) return undefined;
  const plugins = await Promise.all((s.plugins ?? []).map(loadFilterPlugin));
  const pipeline = createCleansingPipeline({
    config: (s.options ?? {}) as CleansingConfig,
    plugins,
    pluginLog: (plugin) => (level, msg, details) => log({ level, ts: Date.now(), msg, area: `filter:${plugin}`, ...(details ? { details } : {}) }),
    ...(onFilterFailure ? { onFilterFailure } : {}),
    ...(scopes ? { filterContext: (name: string, config: unknown, l: PluginLog) => scopes.filterContext(name, config, l) } : {}),
    log: (r) => log({
      level: 'warn', ts: Date.now(), msg: `tick rejected by ${r.rule}`, area: 'cleansing', code: 'MDH_ERR_TICK_REJECTED',
      details: { ...r },
    }),
  });
  return { check: (t, source, slot) => pipeline.check(t, source, slot), observe: (t, source, localtime, slot) => pipeline.observe(t, source, localtime, slot), stats: () => pipeline.stats(), forgetSource: (src) => pipeline.forgetSource(src), prepare: (sym, ex, slot, src) => pipeline.prepare(sym, ex, slot, src) };
}
