import { CatalogError } from '@mdhub/protocol';

/**
 * Error catalog of the plugin API: what the hub reports about a plugin (manifest, configuration,
 * dependencies) and the codes a plugin may raise itself (`throw new PluginError('MDH_ERR_GATEWAY_LOGIN_FAILED',
 * { reason })`). Vendor codes go in `details`. Listed in docs/reference/errors.md; never reuse a code.
 */
export const PLUGIN_ERRORS = {
  MDH_ERR_PLUGIN_NOT_FOUND: { message: 'a plugin package cannot be loaded', retryable: false },
  MDH_ERR_PLUGIN_BAD_MANIFEST: { message: 'a plugin manifest is malformed', retryable: false },
  MDH_ERR_PLUGIN_WRONG_KIND: { message: 'a plugin is not of the kind it is used as', retryable: false },
  MDH_ERR_PLUGIN_INCOMPATIBLE: { message: 'a plugin does not support this core version', retryable: false },
  MDH_ERR_PLUGIN_BAD_CONFIG: { message: 'a plugin instance configuration does not match the plugin schema', retryable: false },
  MDH_ERR_PLUGIN_MISSING_DEPENDENCY: { message: 'a plugin depends on a plugin that is not registered and enabled, or not in a version it accepts', retryable: false },
  MDH_ERR_PLUGIN_NOT_REGISTERED: { message: 'a gateway names a plugin package that is not registered in the database (mdhub plugin add PACKAGE)', retryable: false },
  MDH_ERR_PLUGIN_DISABLED: { message: 'a gateway names a plugin that is disabled in the database', retryable: false },
  MDH_ERR_PLUGIN_CREATE_FAILED: { message: "a plugin's create() threw", retryable: true },
  MDH_ERR_PLUGIN_FILTER_FAILED: { message: 'a filter plugin threw while checking a tick (counted; the tick is judged without it; repeated failures disable the filter for that source)', retryable: false },
  MDH_ERR_PLUGIN_CHECK_FAILED: { message: 'a health-check plugin threw or returned a malformed verdict (counted; the source is judged without it; repeated failures disable the check)', retryable: false },
  MDH_ERR_GATEWAY_START_FAILED: { message: 'a gateway process failed to start', retryable: true },
  MDH_ERR_GATEWAY_CONNECT_FAILED: { message: 'a gateway could not reach any of its fronts', retryable: true },
  MDH_ERR_GATEWAY_LOGIN_FAILED: { message: 'a gateway login was refused (credentials, app id or auth code)', retryable: false },
  MDH_ERR_GATEWAY_SUBSCRIBE_FAILED: { message: 'a gateway could not subscribe its instruments', retryable: true },
} as const;

/** A code of {@link PLUGIN_ERRORS}. */
export type PluginErrorCode = keyof typeof PLUGIN_ERRORS;

/** A named plugin error: stable `code`, `retryable`, typed `details`, optional `cause`. */
export class PluginError extends CatalogError<PluginErrorCode> {
  constructor(code: PluginErrorCode, details: Record<string, unknown> = {}, cause?: unknown) {
    super(PLUGIN_ERRORS, code, details, cause);
    this.name = 'PluginError';
  }
}
