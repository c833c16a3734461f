export { ConfigError, type ConfigErrorCode, type ConfigIssue } from './errors.js';
export { createConfigStore, loadConfig, type ConfigStore, type LoadOptions } from './load.js';
export { Redacted, isRedacted } from './redacted.js';
export { requireSetting, resolveConfig, type Layer } from './resolve.js';
export { SECRET_KEYS, settings, type Config, type SettingKey } from './schema.js';
export type { SecretSource } from './secretsManager.js';
