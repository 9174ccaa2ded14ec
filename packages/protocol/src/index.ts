export type { Exchange, MarketTick, Tick, FloatField } from './tick.js';
export { EXCHANGES, FLOAT_FIELDS, STATE_KEY_FIELDS, PRICE_FIELDS, vtSymbol, parseVtSymbol, emptyMarketTick } from './tick.js';
export {
  TICK_TOPIC_PREFIX, STATUS_TOPIC, LOG_TOPIC, HEARTBEAT_TOPIC, BATCH_TOPIC_PREFIX, BATCH_FEATURE, tickTopic, batchTopic, subscriptionPrefix, topicMatches,
} from './topics.js';
export type { Heartbeat, HubState, StatusEvent, LogRecord, LogLevel, TickBatch } from './codec.js';
export { WIRE_VERSION, TICK_WIRE_FIELDS, TickEncodeMemo, TickEncoder, decodeTick, encodeEvent, encodeFloatMap, decodeEvent,
  encodeTickBatch, decodeTickBatch, writeTickBatchHead, tickBatchHeadMax, TICK_BATCH_MAX_TICKS, TICK_BATCH_MAX_BYTES,
} from './codec.js';
export { stateKey } from './state-key.js';
export { parseInstrumentId } from './instrument-id.js';
export type { ParsedInstrumentId } from './instrument-id.js';
export { BATCH_TAG, BatchDecoder, BatchEncoder, BatchView, StringInterner, encodeBatch, decodeBatch } from './batch.js';
export type { BatchEncoderOptions, BatchHeader, DecodedBatch } from './batch.js';
export type { ProtocolErrorCode, ErrorCatalog } from './errors.js';
export { CatalogError, ProtocolError, PROTOCOL_ERRORS } from './errors.js';
