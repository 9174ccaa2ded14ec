/** @mdhub/gateway-ctp: the CTP (and, through @mdhub/gateway-sopt, SOPT) market-data gateway. */
export { CTP_ERRORS, CtpError } from './errors.js';
export type { CtpErrorCode } from './errors.js';
export { addonMissing, apiVersion } from './native.js';
export type { Flavour, VendorEvent, DepthEvent, SessionStats } from './native.js';
