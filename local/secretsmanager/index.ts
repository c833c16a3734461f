export { startSecretsManager, type SecretsManagerOptions } from './server.js';
