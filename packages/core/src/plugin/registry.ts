import semver from 'semver';
import { PluginError } from './errors.js';
import { loadPlugin } from './load.js';
import type { AnyPlugin, PluginKind, PluginOfKind } from './manifest.js';

function withTimeout<T>(p: Promise<T>, ms: number, specifier: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PluginError('MDH_ERR_PLUGIN_NOT_FOUND', { plugin: specifier, reason: `its import did not finish within ${ms} ms` })), ms);
    timer.unref();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** A plugin as the database registers it (a row of the plugins table). */
export interface RegisteredPlugin {
  package: string;
  kind: PluginKind;
  enabled: boolean;
}

/**
 * The hub's plugin registry: loads each package once (checked as the kind it is registered as) and
 * checks dependencies against what the database registers and enables.
 */
export class PluginRegistry {
  private readonly loaded = new Map<string, Promise<AnyPlugin>>();

  /** `importTimeoutMs`: a package whose import does not settle (a top-level await that never ends) is MDH_ERR_PLUGIN_NOT_FOUND after it. */
  constructor(private readonly coreVersion?: string, private readonly importTimeoutMs = 15_000) {}

  /** Loads and checks a package as `kind` (cached: a package is imported once per hub). */
  load<K extends PluginKind>(specifier: string, kind: K): Promise<PluginOfKind<K>> {
    const key = `${kind}\u0000${specifier}`;
    let p = this.loaded.get(key);
    if (!p) {
      p = withTimeout(loadPlugin(specifier, kind, this.coreVersion), this.importTimeoutMs, specifier);
      this.loaded.set(key, p);
      p.catch(() => this.loaded.delete(key)); // a package installed later is found on the next try
    }
    return p as Promise<PluginOfKind<K>>;
  }

  /**
   * Checks `plugin.dependencies` against the enabled registered plugins (their manifests, to read their
   * versions): MDH_ERR_PLUGIN_MISSING_DEPENDENCY names what is missing or in the wrong version.
   */
  async checkDependencies(plugin: AnyPlugin, registered: readonly RegisteredPlugin[]): Promise<void> {
    for (const [dep, range] of Object.entries(plugin.dependencies ?? {})) {
      const row = registered.find((r) => r.enabled && r.package === dep);
      if (!row) throw new PluginError('MDH_ERR_PLUGIN_MISSING_DEPENDENCY', { plugin: plugin.name, dependency: dep, range, reason: `${dep} is not registered and enabled` });
      let m: AnyPlugin;
      try {
        m = await this.load(row.package, row.kind);
      } catch (err) {
        throw new PluginError('MDH_ERR_PLUGIN_MISSING_DEPENDENCY', { plugin: plugin.name, dependency: dep, range, reason: `${dep} does not load` }, err);
      }
      if (m.version === undefined || !semver.satisfies(m.version, range)) {
        throw new PluginError('MDH_ERR_PLUGIN_MISSING_DEPENDENCY', { plugin: plugin.name, dependency: dep, range, found: m.version ?? null, reason: `${dep} ${m.version ?? '(no version)'} is not ${range}` });
      }
    }
  }
}
