/** Internal surface for @mdhub/gateway-sopt, tests and benchmarks (not a stable API). */
export { openSession, loadAddon, addonMissing, apiVersion, monoNs } from './native.js';
export type { NativeSession, VendorEvent, DepthEvent, SessionStats, Flavour } from './native.js';
