/**
 * Dependency-injection tokens of @mdhub/core (register with tokens and factories; no decorators). The
 * composition root (composition.ts) registers every service under these; plugin scopes (plugin/scope.ts)
 * use {@link PLUGIN_TOKENS} and see nothing else.
 */
export const TOKENS = {
  /** The validated process settings (HubConfig). */
  Settings: Symbol.for('mdhub.Settings'),
  /** Environment the hub reads (MDHUB_SECRET_KEY) and scrubs for its children. */
  Env: Symbol.for('mdhub.Env'),
  Logger: Symbol.for('mdhub.Logger'),
  RunFiles: Symbol.for('mdhub.RunFiles'),
  Repository: Symbol.for('mdhub.Repository'),
  Secrets: Symbol.for('mdhub.Secrets'),
  ConfigService: Symbol.for('mdhub.ConfigService'),
  Plugins: Symbol.for('mdhub.Plugins'),
  PluginScopes: Symbol.for('mdhub.PluginScopes'),
  Calendar: Symbol.for('mdhub.Calendar'),
  /** This run's id (a new one per start). */
  RunId: Symbol.for('mdhub.RunId'),
  /** Logs each named error of the configuration once. */
  Reporter: Symbol.for('mdhub.Reporter'),
  /** The desired state read at start. */
  InitialRuntime: Symbol.for('mdhub.InitialRuntime'),
  Clock: Symbol.for('mdhub.Clock'),
  DataPlane: Symbol.for('mdhub.DataPlane'),
  /** Publishes status events (the data plane's status topic and the log). */
  StatusBus: Symbol.for('mdhub.StatusBus'),
  Supervisor: Symbol.for('mdhub.Supervisor'),
  /** Source health: canaries, failover, confirmed hard restarts (hub/source-health.ts). */
  Health: Symbol.for('mdhub.Health'),
  /** Health-check plugins (hub/health-checks.ts). */
  HealthChecks: Symbol.for('mdhub.HealthChecks'),
  /** The alert hook (hub/alerts.ts). */
  Alerts: Symbol.for('mdhub.Alerts'),
  /** Calendar-data end and schedule alerts (hub/calendar-watch.ts). */
  CalendarWatch: Symbol.for('mdhub.CalendarWatch'),
  /** Email alerts over SMTP (hub/email-alerts.ts). */
  EmailAlerts: Symbol.for('mdhub.EmailAlerts'),
  Reconciler: Symbol.for('mdhub.Reconciler'),
  Metrics: Symbol.for('mdhub.Metrics'),
  Http: Symbol.for('mdhub.Http'),
  /** The control API (api/app.ts) and its WebSocket feed (api/live.ts). */
  Api: Symbol.for('mdhub.Api'),
  Live: Symbol.for('mdhub.Live'),
  /** Called once the live feed may be resolved (status events then reach it). */
  LiveReady: Symbol.for('mdhub.LiveReady'),
  Control: Symbol.for('mdhub.Control'),
} as const;

/** Tokens of a plugin instance's scope: exactly what the plugin API promises its context. */
export const PLUGIN_TOKENS = {
  InstanceId: Symbol.for('mdhub.plugin.InstanceId'),
  Config: Symbol.for('mdhub.plugin.Config'),
  Log: Symbol.for('mdhub.plugin.Log'),
  Clock: Symbol.for('mdhub.plugin.Clock'),
  Calendar: Symbol.for('mdhub.plugin.Calendar'),
  Market: Symbol.for('mdhub.plugin.Market'),
  CoreVersion: Symbol.for('mdhub.plugin.CoreVersion'),
  HubId: Symbol.for('mdhub.plugin.HubId'),
  RunId: Symbol.for('mdhub.plugin.RunId'),
} as const;
