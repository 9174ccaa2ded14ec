export { CORE_VERSION } from './version.js';
export type { CoreErrorCode } from './errors.js';
export { CORE_ERRORS, MdhubError } from './errors.js';
export { TOKENS } from './tokens.js';
export type { HubConfig, HubConfigInput } from './config.js';
export { HubConfigSchema, parseHubConfig } from './config.js';
export type { ReadyInfo } from './hub.js';
export { Hub, startHub, readReady } from './hub.js';
export type {
  Gateway, GatewayContext, GatewayPlugin, GatewayState, FilterPlugin, FilterPluginContext, AnyPlugin, PluginKind,
} from './plugin/manifest.js';
export { definePlugin, checkManifest, parsePluginConfig, PLUGIN_KINDS, ACCOUNT_FIELDS } from './plugin/manifest.js';
export { PLUGIN_ERRORS, PluginError } from './plugin/errors.js';
export { loadPlugin, importPluginManifest } from './plugin/load.js';
export { PluginRegistry } from './plugin/registry.js';
export type { GroupConfig, Policy, Verdict, SourceCounters, InstrumentState } from './dataplane/arbiter.js';
export { Arbiter } from './dataplane/arbiter.js';
export type { DataPlaneOptions, DataPlaneStats, TickCheck, CheckResult } from './dataplane/dataplane.js';
export { DataPlane } from './dataplane/dataplane.js';
export type { Clock, ClockParams, ProductSpec, Segment, Auction, SessionTemplateId } from './market/types.js';
export {
  TradingCalendar, marketCalendar, loadMarketData, listProducts, findProduct, productOfSymbol,
  systemClock, simulatedClock, clockFromParams, defaultSimAnchor, marketSleep, vendorTime,
  shanghaiDate, shanghaiTime, atShanghai,
} from './market/index.js';
export { Store } from './store/store.js';
export type { GatewayRow } from './store/store.js';
export type {
  CleansingPipeline, CleansingPipelineOptions, CleansingConfig, CleansingGroupConfig, CleansingThresholds, CleansingStats,
  CheckResult as CleansingCheckResult, Filter, FilterContext, FilterVerdict, Rejection, FilterErrorCount, FilterFailure,
  AcceptedState, InstrumentInfo, RejectionCount, RejectionLogRecord, BuiltinRuleName,
} from './cleansing/index.js';
export {
  createCleansingPipeline, checkFilterManifest, BUILTIN_RULES, DEFAULT_THRESHOLDS, cleansingConfigSchema, CleansingError, CLEANSING_ERRORS,
} from './cleansing/index.js';
