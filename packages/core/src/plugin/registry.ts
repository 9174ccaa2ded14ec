import semver from 'semver';
import { MdhubError } from '../errors.js';
import { CORE_VERSION } from '../version.js';
import type { GatewayPlugin } from './types.js';

/**
 * Checks a gateway plugin manifest when it is registered; every failure has its own code
 * (MDH_ERR_PLUGIN_BAD_MANIFEST, MDH_ERR_PLUGIN_WRONG_KIND, MDH_ERR_PLUGIN_INCOMPATIBLE).
 */
export function checkGatewayManifest(m: unknown, source = '(inline)'): GatewayPlugin<unknown> {
  if (typeof m !== 'object' || m === null) throw new MdhubError('MDH_ERR_PLUGIN_BAD_MANIFEST', { source, reason: 'not an object' });
  const p = m as Partial<GatewayPlugin<unknown>>;
  if (typeof p.name !== 'string' || p.name.length === 0) throw new MdhubError('MDH_ERR_PLUGIN_BAD_MANIFEST', { source, reason: 'name missing' });
  if (p.kind !== 'gateway') throw new MdhubError('MDH_ERR_PLUGIN_WRONG_KIND', { source, name: p.name, kind: p.kind, expected: 'gateway' });
  if (typeof p.coreVersion !== 'string' || semver.validRange(p.coreVersion) === null) {
    throw new MdhubError('MDH_ERR_PLUGIN_BAD_MANIFEST', { source, name: p.name, reason: 'coreVersion is not a semver range' });
  }
  if (!semver.satisfies(CORE_VERSION, p.coreVersion)) {
    throw new MdhubError('MDH_ERR_PLUGIN_INCOMPATIBLE', { source, name: p.name, coreVersion: p.coreVersion, core: CORE_VERSION });
  }
  if (typeof p.defaultName !== 'string') throw new MdhubError('MDH_ERR_PLUGIN_BAD_MANIFEST', { source, name: p.name, reason: 'defaultName missing' });
  if (!p.configSchema || typeof (p.configSchema as { safeParse?: unknown }).safeParse !== 'function') {
    throw new MdhubError('MDH_ERR_PLUGIN_BAD_MANIFEST', { source, name: p.name, reason: 'configSchema is not a schema' });
  }
  if (typeof p.create !== 'function') throw new MdhubError('MDH_ERR_PLUGIN_BAD_MANIFEST', { source, name: p.name, reason: 'create missing' });
  return p as GatewayPlugin<unknown>;
}

/**
 * Imports a plugin package by module specifier (`@mdhub/gateway-sim`, an absolute path, a file URL) and
 * returns its manifest export (`plugin`, else the default export), unchecked. MDH_ERR_PLUGIN_NOT_FOUND
 * when the module cannot be loaded.
 */
export async function importPluginManifest(specifier: string): Promise<unknown> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    throw new MdhubError('MDH_ERR_PLUGIN_NOT_FOUND', { plugin: specifier, reason: (err as Error).message }, err);
  }
  return mod['plugin'] ?? mod['default'];
}

/** Loads and checks a gateway plugin package. */
export async function loadGatewayPlugin(specifier: string): Promise<GatewayPlugin<unknown>> {
  return checkGatewayManifest(await importPluginManifest(specifier), specifier);
}

/** Validates an instance configuration against the plugin's schema (MDH_ERR_PLUGIN_BAD_CONFIG). */
export function parseGatewayConfig(plugin: GatewayPlugin<unknown>, instance: string, config: unknown): unknown {
  const r = plugin.configSchema.safeParse(config ?? {});
  if (!r.success) {
    throw new MdhubError('MDH_ERR_PLUGIN_BAD_CONFIG', {
      plugin: plugin.name, instance, reason: r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
    });
  }
  return r.data;
}

/** Registry of the gateway plugins the hub resolved (one entry per package). */
export class PluginRegistry {
  private readonly gateways = new Map<string, GatewayPlugin<unknown>>();

  async gateway(specifier: string): Promise<GatewayPlugin<unknown>> {
    let p = this.gateways.get(specifier);
    if (!p) {
      p = await loadGatewayPlugin(specifier);
      this.gateways.set(specifier, p);
    }
    return p;
  }
}
