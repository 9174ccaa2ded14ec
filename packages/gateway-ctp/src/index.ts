/** @mdhub/gateway-ctp: the CTP (and, through @mdhub/gateway-sopt, SOPT) market-data gateway plugin. */
export { plugin, plugin as default } from './plugin.js';
export { CTP_ERRORS, CtpError } from './errors.js';
export type { CtpErrorCode } from './errors.js';
export { addonMissing, apiVersion } from './native.js';
export type { Flavour, VendorEvent, DepthEvent, SessionStats } from './native.js';
export type { GatewayConfig } from './config.js';
export { parseReferenceCsv, parseReferenceJson, readReferenceFile } from './reference.js';
