/**
 * @mdhub/gateway-sim: the simulated exchange (universe + tape, the ground truth) and simulated
 * market-data sources (replicas with latency, drops and bad ticks).
 */
export { Rng, hashString, fmix32, deriveSeed } from './rng.js';
export {
  buildUniverse, DEFAULT_UNIVERSE_SIZE, limitsFor, tickDecimals, ticksToPrice,
} from './universe.js';
export type {
  SimInstrument, SimOptionTerms, Liquidity, StampRule, LimitRule, UniverseOptions,
} from './universe.js';
export { Tape, SLOT_MS, shanghaiDay } from './tape.js';
export type { TapeOptions, TapeSnapshot } from './tape.js';
export { SourceReplica, BAD_TICK_KINDS, DBL_MAX } from './replica.js';
export type {
  SourceReplicaOptions, ReplicaPoll, ReplicaStats, LatencyModel, BadTickKind,
} from './replica.js';
export type {
  CalendarLike, SimProductSpec, SimSegment, SimAuction, SimSessionTemplateId,
} from './market-like.js';
export { plugin, SimConfigSchema } from './plugin.js';
export type { SimConfig, SimCommand } from './plugin.js';
