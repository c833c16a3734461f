import { ConfigError, type ConfigIssue } from './errors.js';
import { Redacted } from './redacted.js';
import { settings, type Config, type SettingKey } from './schema.js';

/** One place values come from, highest precedence first in the list given to `resolveConfig`. */
export interface Layer {
  /** Shown in errors: `environment`, `Docker secret /run/secrets`, `Secrets Manager secret pier/dev`, `.env`. */
  name: string;
  values: Readonly<Record<string, string | undefined>>;
}

/**
 * The pure core of the loader: picks each setting from the first layer that has it, parses it with its schema and
 * returns one frozen object. Every problem is collected so one start-up shows them all; each names the key and the
 * layer it came from, never the value.
 */
export function resolveConfig(layers: readonly Layer[]): Config {
  const out: Record<string, unknown> = {};
  const issues: ConfigIssue[] = [];
  const tried = layers.map((l) => l.name).join(', ');
  for (const key of Object.keys(settings) as SettingKey[]) {
    const spec = settings[key];
    // An empty value counts as unset, as `KEY=` in a .env or an exported empty variable usually means.
    const layer = layers.find((l) => l.values[key] !== undefined && l.values[key] !== '');
    const raw = layer ? layer.values[key] : spec.default;
    const from = layer ? layer.name : 'default';
    const parsed = spec.schema.safeParse(raw);
    if (!parsed.success) {
      if (raw === undefined) {
        issues.push({ code: 'CONFIG_MISSING', key, source: tried, message: `${key} is required but not set (looked in: ${tried})` });
      } else {
        const why = parsed.error.issues.map((i) => i.message).join('; ');
        issues.push({ code: 'CONFIG_INVALID', key, source: from, message: `${key} from ${from} is invalid: ${why}` });
      }
      continue;
    }
    // Lists are frozen too: the object is shared by every part of the process and must not change under them.
    const value = Array.isArray(parsed.data) ? Object.freeze(parsed.data) : parsed.data;
    out[key] = spec.secret && value !== undefined ? new Redacted(value) : value;
  }
  if (issues.length) throw new ConfigError(issues);
  return Object.freeze(out) as Config;
}

/** For settings a role cannot run without (the worker's queue URL, say): stops start-up naming the key. */
export function requireSetting<K extends SettingKey>(config: Config, key: K): Exclude<Config[K], undefined> {
  const value = config[key];
  if (value === undefined || (Array.isArray(value) && value.length === 0)) {
    throw new ConfigError([{ code: 'CONFIG_MISSING', key, message: `${key} is required by this part of Pier but not set` }]);
  }
  return value as Exclude<Config[K], undefined>;
}
