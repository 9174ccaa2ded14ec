import { PluginError } from './errors.js';
import { checkManifest } from './manifest.js';
import type { PluginKind, PluginOfKind } from './manifest.js';

/**
 * Imports a plugin package by module specifier (`@mdhub/gateway-sim`, an absolute path, a file URL) and
 * returns its manifest export (`plugin`, else the default export), unchecked. MDH_ERR_PLUGIN_NOT_FOUND
 * when the module cannot be loaded (the import's own message in `reason`).
 */
export async function importPluginManifest(specifier: string): Promise<unknown> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    throw new PluginError('MDH_ERR_PLUGIN_NOT_FOUND', { plugin: specifier, reason: (err as Error)?.message ?? String(err) }, err);
  }
  return mod['plugin'] ?? mod['default'];
}

/** Imports a plugin package and checks its manifest as `kind`. */
export async function loadPlugin<K extends PluginKind>(specifier: string, kind: K, coreVersion?: string): Promise<PluginOfKind<K>> {
  return checkManifest(await importPluginManifest(specifier), { kind, source: specifier, ...(coreVersion ? { coreVersion } : {}) });
}
