/**
 * Internal surface for sibling packages, tests and benchmarks (`@mdhub/core/internal`). Not a stable API.
 */
export { Supervisor } from './gateway/supervisor.js';
export type { SupervisorOptions, GatewaySpec, GatewayInfo } from './gateway/supervisor.js';
export { SqlRepository } from './store/sql.js';
export { MongoRepository, jsonSchemaOf } from './store/mongo.js';
export { DataPlaneHandle } from './dataplane/handle.js';
export { GatewayLink } from './gateway/link.js';
export { defaultSimAnchor, marketCalendar } from './market/index.js';
export { Publisher } from './dataplane/publisher.js';
