/**
 * Plugin scopes: each plugin instance gets a child container holding only what the plugin API promises
 * its context (instance id, configuration, log, clock, calendar, market facts, versions). The scopes
 * descend from a root of their own, not from the hub's container, so a plugin can never resolve the
 * store, the supervisor or the data plane, and nothing registered in one scope reaches the core or
 * another plugin (fastify's encapsulation).
 */
import 'reflect-metadata';
import { container, type DependencyContainer } from 'tsyringe';
import type { CleansingMarket } from '../cleansing/types.js';
import type { TradingCalendar } from '../market/calendar.js';
import type { Clock } from '../market/types.js';
import { PLUGIN_TOKENS } from '../tokens.js';
import { CORE_VERSION } from '../version.js';
import type { FilterPluginContext, PluginLog } from './manifest.js';

export interface PluginScopeShared {
  hubId: string;
  runId: string;
  clock: Clock;
  calendar: TradingCalendar;
  /** Market facts for filters (default: products and calendar). */
  market?: CleansingMarket;
}

/** What a gateway child receives over IPC to build its context (the rest lives in the child: emit, setState). */
export interface GatewayContextData {
  id: string;
  hubId: string;
  runId: string;
  config: unknown;
  clock: ReturnType<Clock['toJSON']>;
  /** The instance's own folder (`<data dir>/gateways/<id>`), created by the child. */
  dataDir: string;
}

export class PluginScopes {
  private readonly root: DependencyContainer;

  constructor(shared: PluginScopeShared) {
    // A root of its own, with no parent at all: not the hub's container, not tsyringe's global one (which
    // every child container resolves through). tsyringe exports only the global instance; its class makes more.
    const Root = container.constructor as new () => DependencyContainer;
    this.root = new Root();
    this.root.register(PLUGIN_TOKENS.HubId, { useValue: shared.hubId });
    this.root.register(PLUGIN_TOKENS.RunId, { useValue: shared.runId });
    this.root.register(PLUGIN_TOKENS.Clock, { useValue: shared.clock });
    this.root.register(PLUGIN_TOKENS.Calendar, { useValue: shared.calendar });
    this.root.register(PLUGIN_TOKENS.CoreVersion, { useValue: CORE_VERSION });
    if (shared.market) this.root.register(PLUGIN_TOKENS.Market, { useValue: shared.market });
  }

  /** A new scope for one plugin instance. */
  scope(instanceId: string, config: unknown, log: PluginLog): DependencyContainer {
    const s = this.root.createChildContainer();
    s.register(PLUGIN_TOKENS.InstanceId, { useValue: instanceId });
    s.register(PLUGIN_TOKENS.Config, { useValue: config });
    s.register(PLUGIN_TOKENS.Log, { useValue: log });
    return s;
  }

  /** The context data of a gateway instance, resolved from its scope (sent to its child process). */
  gatewayContext(instanceId: string, config: unknown, dataDir: string): GatewayContextData {
    const s = this.scope(instanceId, config, () => {});
    return {
      id: s.resolve<string>(PLUGIN_TOKENS.InstanceId),
      hubId: s.resolve<string>(PLUGIN_TOKENS.HubId),
      runId: s.resolve<string>(PLUGIN_TOKENS.RunId),
      config: s.resolve<unknown>(PLUGIN_TOKENS.Config),
      clock: s.resolve<Clock>(PLUGIN_TOKENS.Clock).toJSON(),
      dataDir,
    };
  }

  /** The context a filter instance is created with, resolved from its scope. */
  filterContext<C>(name: string, config: C, log: PluginLog): FilterPluginContext<C> {
    const s = this.scope(name, config, log);
    return Object.freeze({
      config: s.resolve<C>(PLUGIN_TOKENS.Config),
      market: s.resolve<CleansingMarket>(PLUGIN_TOKENS.Market),
      coreVersion: s.resolve<string>(PLUGIN_TOKENS.CoreVersion),
      log: s.resolve<PluginLog>(PLUGIN_TOKENS.Log),
    });
  }
}
