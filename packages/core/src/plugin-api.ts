/**
 * `@mdhub/core/plugin`: everything a plugin author needs, and nothing of the runtime (no knex, hub, data
 * plane or container): manifest and context types, `definePlugin`, the manifest checker, the error codes
 * a plugin may raise, and the market module (products, calendar, sessions, `vendorTime`, instrument
 * patterns). A gateway child process loads this, its link and its plugin.
 */
export { CORE_VERSION } from './version.js';
export {
  PLUGIN_KINDS, ACCOUNT_FIELDS, definePlugin, checkManifest, parsePluginConfig, describeIssues,
} from './plugin/manifest.js';
export type {
  PluginKind, AccountField, PluginLog, AnyPlugin, PluginOfKind, CheckOptions,
  GatewayPlugin, GatewayContext, Gateway, GatewayState, InstrumentRef,
  FilterPlugin, FilterPluginContext,
  HealthCheckPlugin, HealthCheckContext, HealthCheck, HealthCheckInput, HealthCheckVerdict, SinkPlugin, SinkContext,
} from './plugin/manifest.js';
export { PLUGIN_ERRORS, PluginError } from './plugin/errors.js';
export type { PluginErrorCode } from './plugin/errors.js';
export type {
  Filter, FilterContext, FilterVerdict, Rejection, AcceptedState, InstrumentInfo, InstrumentSpec, CleansingMarket,
} from './cleansing/types.js';
export { BUILTIN_RULES } from './cleansing/rule-names.js';
export type { BuiltinRuleName } from './cleansing/rule-names.js';
export type { MarketTick, Exchange, LogLevel } from '@mdhub/protocol';
export type {
  Clock, ClockParams, ProductSpec, Segment, Auction, SessionTemplateId, MarketData, VendorTimeInput, VendorTimeResult, InstrumentPattern,
} from './market/index.js';
export {
  TradingCalendar, marketCalendar, loadMarketData, listProducts, findProduct, productOfSymbol,
  systemClock, simulatedClock, clockFromParams, marketSleep, vendorTime,
  shanghaiDate, shanghaiTime, atShanghai, SHANGHAI_OFFSET_MS, DAY_MS,
  parseInstrumentPattern, parseInstrumentPatterns, matchesPattern, matchesAny,
  MarketError, MARKET_ERRORS,
} from './market/index.js';
