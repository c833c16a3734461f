export { startIdentity, type IdentityOptions, type IdentityPart } from './server.js';
export type { AppClient, CodeDelivery } from './pool.js';
export { gatewayClient } from './clients.js';
