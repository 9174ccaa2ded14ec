import type { LogLevel, MarketTick } from '@mdhub/protocol';
import type { ZodType } from 'zod';
import type { TradingCalendar } from '../market/index.js';
import type { Clock } from '../market/types.js';

/**
 * Connection state a gateway reports (vn.py users know these steps). Only `subscribed` feeds the race;
 * every other state takes the source out of arbitration at once.
 */
export type GatewayState = 'connecting' | 'connected' | 'logged_in' | 'subscribed' | 'disconnected' | 'stopped';

/** What the core gives a gateway instance. It runs inside the gateway's own child process. */
export interface GatewayContext<C = unknown> {
  /** Instance id (the source id in counters and on the wire's `gateway_name`). */
  readonly id: string;
  readonly hubId: string;
  readonly runId: string;
  /** The instance configuration, already validated against the plugin's schema. */
  readonly config: C;
  readonly clock: Clock;
  readonly calendar: TradingCalendar;
  /** Hands ticks to the data link. Everything emitted in one event-loop turn leaves as one batch. */
  emit(ticks: readonly MarketTick[]): void;
  setState(state: GatewayState, reason?: string): void;
  log(level: LogLevel, msg: string, details?: Record<string, unknown>): void;
}

/** A running gateway instance. */
export interface Gateway {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Plugin-specific commands (the simulator's fault injection, say). */
  control?(cmd: { op: string; [k: string]: unknown }): Promise<unknown> | unknown;
}

/** Manifest of a gateway plugin: what an npm package exports as `plugin` (or default). */
export interface GatewayPlugin<C = unknown> {
  readonly name: string;
  readonly kind: 'gateway';
  /** Semver range of @mdhub/core the plugin supports. */
  readonly coreVersion: string;
  /** vn.py-style default instance name. */
  readonly defaultName: string;
  /** True for simulated sources: the hub then runs a shifted (simulated) market clock. */
  readonly simulated?: boolean;
  readonly configSchema: ZodType<C>;
  create(ctx: GatewayContext<C>): Gateway;
}

export type AnyPlugin = GatewayPlugin<unknown>;
