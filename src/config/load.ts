import { resolve as resolvePath } from 'node:path';
import { ConfigError } from './errors.js';
import { isRedacted } from './redacted.js';
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
  /** Values beneath every source, above the schema's defaults (the local runner's own defaults): any setting wins. */
  defaults?: Record<string, string | undefined>;
  /** Replaces the Secrets Manager SDK adapter (tests of failure handling; a ConfigStore's long-lived client). */
  secretSource?: SecretSource;
  /**
   * Leaves Secrets Manager out even if SECRETS_ID is set: for a first read of plain settings before the endpoint
   * it names exists (the local runner reads its ports before starting the Secrets Manager stand-in).
   */
  skipSecretsManager?: boolean;
}

const LOCAL_ENVS = new Set(['local', 'test']);
type BootstrapKey = 'PIER_ENV' | 'ENV_FILE' | 'DOCKER_SECRETS_DIR' | 'SECRETS_ID' | 'SECRETSMANAGER_ENDPOINT' | 'AWS_REGION';

/**
 * Reads a setting that says where the other sources are, from the layers read so far. It is validated here, before
 * it is used, so a bad value stops start-up with an error naming it rather than a confusing failure further on.
 */
function bootstrap(layers: Layer[], key: BootstrapKey): string | undefined {
  const layer = layers.find((l) => l.values[key] !== undefined && l.values[key] !== '');
  const raw = layer ? layer.values[key] : settings[key].default;
  const parsed = settings[key].schema.safeParse(raw);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => i.message).join('; ');
    const from = layer?.name ?? 'default';
    throw new ConfigError([{ code: 'CONFIG_INVALID', key, source: from, message: `${key} from ${from} is invalid: ${why}` }]);
  }
  return parsed.data as string | undefined;
}

/**
 * Gathers the layers, highest first: overrides, environment, Docker secrets, Secrets Manager, `.env` (local only),
 * the caller's defaults, then resolves them. The settings that say where the stores are (SECRETS_ID, ...) are themselves read from the
 * environment, Docker secrets and `.env`.
 */
async function gatherLayers(opts: LoadOptions = {}): Promise<Layer[]> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const top: Layer[] = [];
  if (opts.overrides) top.push({ name: 'local runtime', values: opts.overrides });
  top.push(environmentLayer(env));

  // Whether `.env` is read is decided by the environment alone: a `.env` cannot switch itself on in production.
  const pierEnv = bootstrap(top, 'PIER_ENV');
  const dotenv = LOCAL_ENVS.has(pierEnv ?? '') ? [await dotenvLayer(resolvePath(cwd, bootstrap(top, 'ENV_FILE') ?? '.env'))] : [];
  const docker = await dockerSecretsLayer(resolvePath(cwd, bootstrap([...top, ...dotenv], 'DOCKER_SECRETS_DIR') ?? '/run/secrets'));
  const known = [...top, docker, ...dotenv];

  const secretsId = opts.skipSecretsManager ? undefined : bootstrap(known, 'SECRETS_ID');
  const sm: Layer[] = [];
  if (secretsId) {
    const own = opts.secretSource ? undefined : secretsManagerSource({ region: bootstrap(known, 'AWS_REGION') ?? 'us-east-1', endpoint: bootstrap(known, 'SECRETSMANAGER_ENDPOINT') });
    try {
      sm.push(await secretsManagerLayer(opts.secretSource ?? (own as SecretSource), secretsId));
    } finally {
      own?.close?.();
    }
  }
  return [...top, docker, ...sm, ...dotenv, ...(opts.defaults ? [{ name: 'local runtime default', values: opts.defaults }] : [])];
}

export async function loadConfig(opts: LoadOptions = {}): Promise<Config> {
  return resolveConfig(await gatherLayers(opts));
}

/** Live configuration: the latest frozen `Config`, refreshed in the background and on demand. */
export interface ConfigStore {
  get(): Config;
  /** Reads every source again; on failure keeps the last good config and rethrows. */
  refresh(): Promise<Config>;
  /** Called after a refresh that changed any value, with the keys that changed (secrets compared by their revealed values). */
  onChange(listener: (config: Config, changed: readonly (keyof Config)[]) => void): void;
  close(): void;
}

// setInterval treats anything above 2^31-1 ms (about 24.8 days) as 1 ms: that would poll Secrets Manager non-stop.
const MAX_TIMER_MS = 2_147_483_647;

export async function createConfigStore(
  opts: LoadOptions & { onRefreshError?: (err: ConfigError | Error) => void } = {},
): Promise<ConfigStore> {
  // One SDK client for the store's whole life, created once the first load has said where Secrets Manager is.
  let source = opts.secretSource;
  let current = await loadConfig(opts);
  if (!source && current.SECRETS_ID) {
    source = secretsManagerSource({ region: current.AWS_REGION, endpoint: current.SECRETSMANAGER_ENDPOINT });
  }
  const loadOpts: LoadOptions = { ...opts, ...(source ? { secretSource: source } : {}) };
  const listeners = new Set<(config: Config, changed: readonly (keyof Config)[]) => void>();
  let inFlight: Promise<Config> | undefined;

  const refresh = () =>
    (inFlight ??= loadConfig(loadOpts)
      .then((next) => {
        const changed = (Object.keys(settings) as (keyof Config)[]).filter((k) => !sameValue(current[k], next[k]));
        current = next;
        if (changed.length > 0) {
          for (const l of listeners) {
            // One faulty listener must neither stop the others nor make a good refresh look failed.
            try {
              l(next, changed);
            } catch (err) {
              opts.onRefreshError?.(err as Error);
            }
          }
        }
        return next;
      })
      .finally(() => {
        inFlight = undefined;
      }));

  // Only Secrets Manager rotates behind our back; without it there is nothing to poll.
  const timer = current.SECRETS_ID
    ? setInterval(() => {
        refresh().catch((err: Error) => opts.onRefreshError?.(err));
      }, Math.min(current.SECRETS_REFRESH_SECONDS * 1000, MAX_TIMER_MS))
    : undefined;
  timer?.unref();

  return {
    get: () => current,
    refresh,
    onChange: (l) => void listeners.add(l),
    close: () => {
      clearInterval(timer);
      if (source !== opts.secretSource) source?.close?.();
    },
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  const unwrap = (v: unknown) => (isRedacted(v) ? v.reveal() : v);
  return JSON.stringify(unwrap(a)) === JSON.stringify(unwrap(b));
}
