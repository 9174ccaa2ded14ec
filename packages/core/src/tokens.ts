/** Dependency-injection tokens of @mdhub/core (always inject by name: no decorator metadata is emitted). */
export const TOKENS = {
  Config: Symbol.for('mdhub.Config'),
  Clock: Symbol.for('mdhub.Clock'),
  Calendar: Symbol.for('mdhub.Calendar'),
  Logger: Symbol.for('mdhub.Logger'),
  Store: Symbol.for('mdhub.Store'),
  Plugins: Symbol.for('mdhub.Plugins'),
  Supervisor: Symbol.for('mdhub.Supervisor'),
  DataPlane: Symbol.for('mdhub.DataPlane'),
  GatewayContext: Symbol.for('mdhub.GatewayContext'),
} as const;
