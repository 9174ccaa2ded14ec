import type { LogRecord } from '@mdhub/protocol';
import type { ClockParams } from '../market/types.js';
import type { GatewayState, InstrumentRef } from '../plugin/manifest.js';

/** Control channel (Node IPC) from the supervisor to a gateway process. Credentials travel only here. */
export type ToGateway =
  | { t: 'init'; id: string; hubId: string; runId: string; plugin: string; config: unknown; endpoint: string; clock: ClockParams; dataDir: string }
  | { t: 'ping'; n: number }
  | { t: 'control'; reqId: number; cmd: { op: string; [k: string]: unknown } }
  | { t: 'stop' };

/** Control channel from a gateway process to the supervisor. */
export type FromGateway =
  | { t: 'ready'; pid: number }
  | { t: 'failed'; code: string; message: string; retryable: boolean; details?: Record<string, unknown> }
  | { t: 'state'; state: GatewayState; reason?: string }
  | { t: 'pong'; n: number; sentTicks: number; sentBatches: number; overflow: number; pending: number }
  | { t: 'reply'; reqId: number; result?: unknown; error?: string }
  | { t: 'log'; rec: LogRecord }
  /** Status facts of the instance (merged; null removes a key). */
  | { t: 'info'; info: Record<string, unknown> }
  /** The instruments the instance subscribes to, with reference data. */
  | { t: 'instruments'; list: InstrumentRef[] }
  /** The plugin's watchdog asks for a hard restart. */
  | { t: 'unhealthy'; reason: string };
