import type { Heartbeat, LogRecord, StatusEvent } from '@mdhub/protocol';
import type { ClientError } from './errors.js';
import type { GapReason } from './router.js';
import type { InstrumentDataState } from './snapshot.js';

/**
 * Every event a client emits, by name. `.on(name, listener)` is typed by this map; `'event'` receives all
 * of them as the {@link ClientEvent} union (also what `client.events()` yields).
 */
export interface ClientEventMap {
  heartbeat: { type: 'heartbeat'; heartbeat: Heartbeat };
  /** A status event of the hub (topic `status`; the client always takes it: it needs `states_replaced` and `instrument_state`). */
  status: { type: 'status'; status: StatusEvent };
  /** A log record of the hub (only after `watchEvents()`). */
  log: { type: 'log'; log: LogRecord };
  /** A new run_id: the hub restarted. seq and iseq restart; what the client held is dropped and (snapshots on) fetched afresh. */
  hub_restart: { type: 'hub_restart'; previousRunId: string; runId: string };
  /** The socket is drained and nothing arrived for `staleAfterMs` of this process's monotonic time. */
  hub_down: { type: 'hub_down'; silentMs: number };
  /** The first message after `hub_down`. */
  hub_up: { type: 'hub_up'; runId: string };
  /**
   * Ticks were missed: a jump in an instrument's `iseq` (reason `iseq`), in the hub-wide `seq` of a
   * subscription of everything (`seq`, instrument `*`), or a `states_replaced` status event naming an
   * instrument held (`states_replaced`; `expected` = `got` = the next iseq). `recovering`: the client
   * re-fetches the instrument(s) from the snapshot service and merges them (a `snapshot` event follows).
   */
  gap: { type: 'gap'; instrument: string; expected: number; got: number; reason: GapReason; recovering: boolean };
  /** A snapshot was merged: `join` (a subscription joined), `gap` (a recovery) or `restart` (a new run). */
  snapshot: { type: 'snapshot'; reason: SnapshotReason; runId: string; seq: number; instruments: number; ms: number };
  /**
   * A snapshot could not be had (timeouts, refusal, too much waiting): what was buffered is delivered as
   * it came, holes are reported as gaps without recovery, and recovery stays off for `retryInMs`.
   */
  snapshot_failed: { type: 'snapshot_failed'; reason: SnapshotReason; error: ClientError; retryInMs: number };
  /**
   * An instrument's data state changed (`instrument_state` status events, and the `states` of snapshot
   * replies): `stale` (no healthy source feeds it inside its session), `suspect` (its recent copies were
   * all rejected by cleansing), `ok`. Only for instruments some subscription matches; an instrument's first
   * state is reported only when it is not `ok`.
   */
  instrument_state: { type: 'instrument_state'; instrument: string; state: InstrumentDataState; previous: InstrumentDataState | null; reason: string | null; from: 'status' | 'snapshot' };
  /** The wire stream chosen for wide subscriptions, once the first heartbeat says whether the hub serves batches. */
  stream: { type: 'stream'; batch: boolean };
  /** A subscription under the `error` policy fell `maxQueue` ticks behind and was closed. */
  overflow: { type: 'overflow'; patterns: readonly string[]; maxQueue: number; error: ClientError };
  /** A subscription under the `conflate` policy replaced waiting ticks (reported at 1, 2, 4, 8 … replaced). */
  conflated: { type: 'conflated'; patterns: readonly string[]; conflated: number; queued: number };
  /** A subscription's handler threw (or its promise rejected); the subscription goes on. */
  handler_error: { type: 'handler_error'; patterns: readonly string[]; error: unknown };
  /** A message that could not be decoded; the client goes on. */
  bad_message: { type: 'bad_message'; topic: string; error: string };
}

export type SnapshotReason = 'join' | 'gap' | 'restart';

export type ClientEventType = keyof ClientEventMap;

/** Events as a discriminated union (on `type`), for `.on('event')` and `for await (const e of client.events())`. */
export type ClientEvent = ClientEventMap[ClientEventType];

/** Listener signatures of `.on()`: every event by name, `'event'` for all, `'error'` for a socket failure. */
export type ClientListeners = { [K in ClientEventType]: (e: ClientEventMap[K]) => void } & {
  event: (e: ClientEvent) => void;
  error: (err: Error) => void;
};
