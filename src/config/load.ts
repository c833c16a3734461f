import { resolve as resolvePath } from 'node:path';
import { ConfigError } from './errors.js';
import { resolveConfig, type Layer } from './resolve.js';
import { settings, type Config } from './schema.js';
import { secretsManagerLayer, secretsManagerSource, type SecretSource } from './secretsManager.js';
import { dockerSecretsLayer, dotenvLayer, environmentLayer } from './sources.js';

export interface LoadOptions {
  /** Defaults to `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Folder relative paths (`.env`) are read from. Defaults to `process.cwd()`. */
  cwd?: string;
  /** Values laid over everything else (the local runner's ports and URLs); highest precedence. */
  overrides?: Record<string, string | undefined>;
  /** Replaces the Secrets Manager SDK adapter (tests of failure handling). */
  secretSource?: SecretSource;
}

const LOCAL_ENVS = new Set(['local', 'test']);

/**
 * Gathers the layers, highest first: overrides, environment, Docker secrets, Secrets Manager, `.env` (local only),
 * then resolves them. The settings that say where the stores are (SECRETS_ID, ...) are themselves read from the
 * environment, Docker secrets and `.env`.
 */
export async function gatherLayers(opts: LoadOptions = {}): Promise<Layer[]> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const top: Layer[] = [];
  if (opts.overrides) top.push({ name: 'local runtime', values: opts.overrides });
  top.push(environmentLayer(env));
  const pick = (layers: Layer[], key: keyof typeof settings) =>
    layers.map((l) => l.values[key]).find((v) => v !== undefined && v !== '') ?? settings[key].default;

  const pierEnv = pick(top, 'PIER_ENV');
  const dotenv = LOCAL_ENVS.has(pierEnv ?? '') ? [await dotenvLayer(resolvePath(cwd, pick(top, 'ENV_FILE') ?? '.env'))] : [];
  const docker = await dockerSecretsLayer(resolvePath(cwd, pick([...top, ...dotenv], 'DOCKER_SECRETS_DIR') ?? '/run/secrets'));
  const known = [...top, docker, ...dotenv];

  const secretsId = pick(known, 'SECRETS_ID');
  const sm: Layer[] = [];
  if (secretsId) {
    const source =
      opts.secretSource ??
      secretsManagerSource({ region: pick(known, 'AWS_REGION') ?? 'us-east-1', endpoint: pick(known, 'SECRETSMANAGER_ENDPOINT') });
    sm.push(await secretsManagerLayer(source, secretsId));
  }
  return [...top, docker, ...sm, ...dotenv];
}

export async function loadConfig(opts: LoadOptions = {}): Promise<Config> {
  return resolveConfig(await gatherLayers(opts));
}

/** Live configuration: the latest frozen `Config`, refreshed in the background and on demand. */
export interface ConfigStore {
  get(): Config;
  /** Reads every source again; on failure keeps the last good config and rethrows. */
  refresh(): Promise<Config>;
  onChange(listener: (config: Config) => void): void;
  close(): void;
}

export async function createConfigStore(
  opts: LoadOptions & { onRefreshError?: (err: ConfigError | Error) => void } = {},
): Promise<ConfigStore> {
  let current = await loadConfig(opts);
  const listeners = new Set<(config: Config) => void>();
  let inFlight: Promise<Config> | undefined;

  const refresh = () =>
    (inFlight ??= loadConfig(opts)
      .then((next) => {
        const changed = (Object.keys(settings) as (keyof Config)[]).some((k) => !sameValue(current[k], next[k]));
        current = next;
        if (changed) for (const l of listeners) l(next);
        return next;
      })
      .finally(() => {
        inFlight = undefined;
      }));

  // Only Secrets Manager rotates behind our back; without it there is nothing to poll.
  const timer = current.SECRETS_ID
    ? setInterval(() => {
        refresh().catch((err: Error) => opts.onRefreshError?.(err));
      }, current.SECRETS_REFRESH_SECONDS * 1000)
    : undefined;
  timer?.unref();

  return {
    get: () => current,
    refresh,
    onChange: (l) => void listeners.add(l),
    close: () => clearInterval(timer),
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  const unwrap = (v: unknown) => (v && typeof v === 'object' && 'reveal' in v ? (v as { reveal(): unknown }).reveal() : v);
  return JSON.stringify(unwrap(a)) === JSON.stringify(unwrap(b));
}
