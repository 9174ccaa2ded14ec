import semver from 'semver';
import { CORE_VERSION } from '../version.js';
import { CleansingError } from './errors.js';
import { BUILTIN_RULES } from './config.js';
import type { Filter, FilterPlugin, FilterPluginContext } from './types.js';

/**
 * Checks a filter plugin manifest when it is registered. Each failure has its own code:
 * MDH_ERR_PLUGIN_BAD_MANIFEST (not an object, name / coreVersion / configSchema / create missing or
 * malformed, or a name that is a built-in rule), MDH_ERR_PLUGIN_WRONG_KIND (kind is not 'filter'),
 * MDH_ERR_PLUGIN_INCOMPATIBLE (`coreVersion` excludes `coreVersion`, default this core's version).
 */
export function checkFilterManifest(m: unknown, coreVersion: string = CORE_VERSION): FilterPlugin<unknown> {
  if (typeof m !== 'object' || m === null) throw new CleansingError('MDH_ERR_PLUGIN_BAD_MANIFEST', { reason: 'not an object' });
  const p = m as Partial<FilterPlugin<unknown>>;
  if (typeof p.name !== 'string' || p.name.length === 0) throw new CleansingError('MDH_ERR_PLUGIN_BAD_MANIFEST', { reason: 'name missing' });
  if (p.kind !== 'filter') throw new CleansingError('MDH_ERR_PLUGIN_WRONG_KIND', { name: p.name, kind: p.kind, expected: 'filter' });
  if ((BUILTIN_RULES as readonly string[]).includes(p.name)) {
    throw new CleansingError('MDH_ERR_PLUGIN_BAD_MANIFEST', { name: p.name, reason: 'name is a built-in rule' });
  }
  if (typeof p.coreVersion !== 'string' || semver.validRange(p.coreVersion) === null) {
    throw new CleansingError('MDH_ERR_PLUGIN_BAD_MANIFEST', { name: p.name, reason: 'coreVersion is not a semver range' });
  }
  if (!semver.satisfies(coreVersion, p.coreVersion)) {
    throw new CleansingError('MDH_ERR_PLUGIN_INCOMPATIBLE', { name: p.name, coreVersion: p.coreVersion, core: coreVersion });
  }
  if (!p.configSchema || typeof (p.configSchema as { safeParse?: unknown }).safeParse !== 'function') {
    throw new CleansingError('MDH_ERR_PLUGIN_BAD_MANIFEST', { name: p.name, reason: 'configSchema is not a schema' });
  }
  if (typeof p.create !== 'function') throw new CleansingError('MDH_ERR_PLUGIN_BAD_MANIFEST', { name: p.name, reason: 'create missing' });
  return p as FilterPlugin<unknown>;
}

/**
 * Validates `config` against the plugin's schema (MDH_ERR_PLUGIN_BAD_CONFIG) and creates the filter
 * (MDH_ERR_PLUGIN_BAD_FILTER when create() throws or returns something that is not a filter).
 */
export function instantiateFilter(plugin: FilterPlugin<unknown>, config: unknown, ctx: FilterPluginContext): Filter {
  const r = plugin.configSchema.safeParse(config ?? {});
  if (!r.success) {
    throw new CleansingError('MDH_ERR_PLUGIN_BAD_CONFIG', {
      plugin: plugin.name,
      reason: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    });
  }
  let f: unknown;
  try {
    f = plugin.create(r.data, ctx);
  } catch (err) {
    throw new CleansingError('MDH_ERR_PLUGIN_BAD_FILTER', { plugin: plugin.name, reason: 'create() threw' }, err);
  }
  const filter = f as Partial<Filter> | null;
  if (typeof filter !== 'object' || filter === null || typeof filter.check !== 'function' || typeof filter.name !== 'string'
    || !Array.isArray(filter.rules)) {
    throw new CleansingError('MDH_ERR_PLUGIN_BAD_FILTER', { plugin: plugin.name, reason: 'not a filter (name, rules, check)' });
  }
  return filter as Filter;
}
