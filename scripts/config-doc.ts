/**
 * `npm run config-doc`: prints README's configuration reference, a markdown table generated from the settings
 * schema, so the docs cannot drift from the code (test/config-doc.test.ts checks README holds exactly this).
 */
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { settings, type SettingKey } from '../src/config/schema.js';

interface JsonSchema {
  type?: string;
  enum?: string[];
  pattern?: string;
  format?: string;
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
}

/** Backslash-escapes what would break a table cell; newlines become spaces. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');
const code = (text: string) => '`' + text + '`';

/** What a value must look like, read from the schema itself (its JSON Schema, as the value arrives: a string). */
export function describeType(key: SettingKey): string {
  const schema = settings[key].schema as z.ZodType;
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  if (json.enum) {
    if (schema.safeParse('true').data === true) return `boolean: ${json.enum.map(code).join(', ')}`;
    return `one of ${json.enum.map(code).join(', ')}`;
  }
  if (json.type === 'integer' || json.type === 'number') {
    const min = json.minimum ?? (json.exclusiveMinimum !== undefined ? json.exclusiveMinimum + 1 : undefined);
    const max = json.maximum !== undefined && json.maximum < Number.MAX_SAFE_INTEGER ? json.maximum : undefined;
    if (min !== undefined && max !== undefined) return `integer ${min}–${max}`;
    if (min !== undefined) return `integer ≥ ${min}`;
    return 'integer';
  }
  if (json.format === 'uri') return 'http(s) URL';
  if (json.pattern) return `string matching ${code(json.pattern)}`;
  if (Array.isArray(schema.safeParse('a,b').data)) return 'comma-separated list';
  return 'string';
}

export function configTable(): string {
  const rows = (Object.keys(settings) as SettingKey[]).map((key) => {
    const spec = settings[key] as { default?: string; secret: boolean; doc: string };
    const def = spec.default === undefined ? '—' : spec.default === '' ? '(empty)' : code(spec.default);
    return `| ${code(key)} | ${cell(describeType(key))} | ${cell(def)} | ${spec.secret ? 'yes' : 'no'} | ${cell(spec.doc)} |`;
  });
  return ['| Key | Type / allowed values | Default | Secret | Description |', '|---|---|---|---|---|', ...rows].join('\n') + '\n';
}

const HELP = `Usage: npm run -s config-doc

Prints the configuration reference (a markdown table of every setting: type, default, whether it is a secret,
description) from the settings schema in src/config/schema.ts; README.md holds it between the config markers.
`;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP);
  } else if (args.length > 0) {
    process.stderr.write(`config-doc: unexpected argument ${JSON.stringify(args[0])}\n\n${HELP}`);
    process.exit(2);
  } else {
    process.stdout.write(configTable());
  }
}
