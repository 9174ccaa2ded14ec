/** Cleansing stage: filter contract, built-in rules, pipeline, configuration and errors. */
export type {
  Rejection, FilterVerdict, AcceptedState, InstrumentInfo, FilterContext, Filter, FilterErrorCount, FilterFailure,
  InstrumentSpec, CleansingMarket, CheckResult, RejectionLogRecord, RejectionCount, CleansingStats,
} from './types.js';
export type { CleansingPipeline, CleansingPipelineOptions } from './pipeline.js';
export { createCleansingPipeline, ACCEPTED } from './pipeline.js';
export type { BuiltinRuleName, CleansingThresholds, CleansingConfig, CleansingGroupConfig } from './config.js';
export {
  BUILTIN_RULES, DEFAULT_THRESHOLDS, cleansingConfigSchema, thresholdsSchema, groupSchema, groupMatchSchema, filterInstanceSchema,
} from './config.js';
export { checkFilterManifest, instantiateFilter } from './plugin.js';
export { defaultCleansingMarket } from './market.js';
export type { CleansingErrorCode } from './errors.js';
export { CLEANSING_ERRORS, CleansingError } from './errors.js';
