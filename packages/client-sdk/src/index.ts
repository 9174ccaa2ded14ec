export type { ClientOptions, ClientEvent } from './client.js';
export { MdhubClient, Subscription, connect } from './client.js';
export type { Tick, MarketTick, Exchange, Heartbeat, StatusEvent, LogRecord } from '@mdhub/protocol';
export { stateKey, vtSymbol, parseVtSymbol } from '@mdhub/protocol';
