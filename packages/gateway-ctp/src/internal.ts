/** Internal surface for @mdhub/gateway-sopt, tests and benchmarks (not a stable API). */
export { openSession, loadAddon, addonMissing, apiVersion, monoNs } from './native.js';
export type { NativeSession, VendorEvent, DepthEvent, SessionStats, Flavour } from './native.js';
export { makeGatewayPlugin, SOPT_PLUGIN_OPTIONS } from './plugin.js';
export type { GatewayPluginOptions } from './plugin.js';
export { DepthConverter, czceTurnover, templateOf } from './convert.js';
export type { DropReason } from './convert.js';
export { CtpGateway, DISCONNECT_REASONS, disconnectReason } from './gateway.js';
export { gatewayConfigSchema, normalizeFront, CTP_EXCHANGES, SOPT_EXCHANGES } from './config.js';
export { candidateFutures, csvRows, futureId, resolveUniverse } from './reference.js';
export type { Universe } from './reference.js';
