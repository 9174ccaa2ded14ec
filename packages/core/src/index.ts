export { CORE_VERSION } from './version.js';
export type { CoreErrorCode } from './errors.js';
export { CORE_ERRORS, MdhubError } from './errors.js';
export { TOKENS } from './tokens.js';
export type { HubConfig, HubConfigInput } from './config.js';
export { HubConfigSchema, parseHubConfig } from './config.js';
export type { ReadyInfo } from './hub/run-files.js';
export { readReady } from './hub/run-files.js';
export { Hub } from './hub/hub.js';
export { startHub, createHubContainer, openService } from './composition.js';
export type { StartOptions, StatusBus, ServiceHandle } from './composition.js';
export type { HealthReport, HubStatus } from './hub/health.js';
export { Logger } from './hub/logger.js';
export { controlRequest } from './hub/control.js';
export type {
  Gateway, GatewayContext, GatewayPlugin, GatewayState, InstrumentRef, FilterPlugin, FilterPluginContext, AnyPlugin, PluginKind,
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
  systemClock, simulatedClock, clockFromParams, defaultSimAnchor, resumeSimAnchor, marketSleep, vendorTime,
  shanghaiDate, shanghaiTime, atShanghai,
} from './market/index.js';
export { ConfigService, SETTINGS, CleansingSettingsSchema, ConfigDocumentSchema } from './service/config-service.js';
export type {
  Actor, AccountView, AccountInput, AccountPatch, GatewayInput, GatewayPatch, GroupInput, GroupPatch, PluginInput, RuntimeConfig, RuntimeGateway, ConfigDocument,
} from './service/config-service.js';
export { createRepository, openRepository, prepareSchema } from './store/open.js';
export type { OpenOptions } from './store/open.js';
export type { ConfigRepository, WriteOp, AuditQuery, SchemaState } from './store/repository.js';
export { parseDbUrl, redactUrl } from './store/url.js';
export type { DbTarget } from './store/url.js';
export { ENTITIES } from './store/schema.js';
export type {
  AccountRow, GatewayRecord, GroupRecord, GroupSource, PluginRecord, UserRecord, SettingRecord, AuditRecord, BadRow, Rows, EntityName, RowOf,
} from './store/schema.js';
export { SecretBox, resolveSecretKeys, parseKeys, newKeyText, keyId } from './store/secrets.js';
export { hashPassword, verifyPassword, DEFAULT_ADMIN } from './store/passwords.js';
export { seedDemo } from './store/seed.js';
export { PluginScopes } from './plugin/scope.js';
export { parseInstrumentPattern, parseInstrumentPatterns, matchesPattern, matchesAny } from './market/index.js';
export type { InstrumentPattern } from './market/index.js';
export type {
  CleansingPipeline, CleansingPipelineOptions, CleansingConfig, CleansingGroupConfig, CleansingThresholds, CleansingStats,
  CheckResult as CleansingCheckResult, Filter, FilterContext, FilterVerdict, Rejection, FilterErrorCount, FilterFailure,
  AcceptedState, InstrumentInfo, RejectionCount, RejectionLogRecord, BuiltinRuleName,
} from './cleansing/index.js';
export {
  createCleansingPipeline, checkFilterManifest, BUILTIN_RULES, DEFAULT_THRESHOLDS, cleansingConfigSchema, CleansingError, CLEANSING_ERRORS,
} from './cleansing/index.js';
