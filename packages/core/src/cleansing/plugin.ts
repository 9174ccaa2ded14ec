import { checkManifest, parsePluginConfig } from '../plugin/manifest.js';
import type { FilterPlugin, FilterPluginContext, PluginLog } from '../plugin/manifest.js';
import { PluginError } from '../plugin/errors.js';
import { CORE_VERSION } from '../version.js';
import { CleansingError } from './errors.js';
import type { CleansingMarket, Filter } from './types.js';

/**
 * Checks a filter plugin manifest when it is registered (the one manifest checker, kind `filter`):
 * MDH_ERR_PLUGIN_BAD_MANIFEST, MDH_ERR_PLUGIN_WRONG_KIND, MDH_ERR_PLUGIN_INCOMPATIBLE.
 */
export function checkFilterManifest(m: unknown, coreVersion: string = CORE_VERSION, source?: string): FilterPlugin<unknown> {
  return checkManifest(m, { kind: 'filter', coreVersion, ...(source ? { source } : {}) });
}

/**
 * Validates `config` against the plugin's schema (MDH_ERR_PLUGIN_BAD_CONFIG) and creates the filter:
 * MDH_ERR_PLUGIN_CREATE_FAILED when create() throws, MDH_ERR_PLUGIN_BAD_FILTER when it returns
 * something that is not a filter.
 */
export function instantiateFilter(plugin: FilterPlugin<unknown>, config: unknown, env: {
  market: CleansingMarket; coreVersion: string; log?: PluginLog;
  /** Builds the context from the instance's plugin scope (the hub); default: from `env`. */
  context?: (name: string, config: unknown, log: PluginLog) => FilterPluginContext<unknown>;
}): Filter {
  const data = parsePluginConfig(plugin, plugin.name, config);
  const log = env.log ?? (() => {});
  const ctx = env.context ? env.context(plugin.name, data, log) : { config: data, market: env.market, coreVersion: env.coreVersion, log };
  let f: unknown;
  try {
    f = plugin.create(ctx);
  } catch (err) {
    throw new PluginError('MDH_ERR_PLUGIN_CREATE_FAILED', { plugin: plugin.name, reason: (err as Error)?.message ?? String(err) }, err);
  }
  const filter = f as Partial<Filter> | null;
  if (typeof filter !== 'object' || filter === null || typeof filter.check !== 'function' || typeof filter.name !== 'string'
    || !Array.isArray(filter.rules)) {
    throw new CleansingError('MDH_ERR_PLUGIN_BAD_FILTER', { plugin: plugin.name, reason: 'not a filter (name, rules, check)' });
  }
  return filter as Filter;
}
