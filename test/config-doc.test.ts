import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { configTable, describeType } from '../scripts/config-doc.js';
import { settings, type SettingKey } from '../src/config/schema.js';

const START = '<!-- config:start -->';
const END = '<!-- config:end -->';

const readme = await readFile(resolve('README.md'), 'utf8');
const from = readme.indexOf(START);
const to = readme.indexOf(END);
const block = from >= 0 && to > from ? readme.slice(from + START.length, to).trim() : undefined;

describe('configuration reference', () => {
  it('has one row per setting, with type, default and secret flag from the schema', () => {
    const rows = configTable().trim().split('\n').slice(2);
    const keys = Object.keys(settings) as SettingKey[];
    expect(rows).toHaveLength(keys.length);
    for (const [i, key] of keys.entries()) {
      const cells = rows[i]?.split(/(?<!\\)\|/).map((c) => c.trim());
      expect(cells?.[1]).toBe(`\`${key}\``);
      expect(cells?.[4]).toBe(settings[key].secret ? 'yes' : 'no');
    }
    expect(rows.find((r) => r.startsWith('| `DATABASE_URL` '))).toContain('| yes |');
    expect(rows.find((r) => r.startsWith('| `SERVICE_PORT` '))).toContain('| integer 0–65535 | `4001` | no |');
    expect(describeType('PIER_ENV')).toBe('one of `local`, `test`, `dev`, `prod`');
    expect(describeType('WEBHOOK_ALLOW_LOOPBACK')).toMatch(/^boolean: /);
    expect(describeType('CORS_ALLOWED_ORIGINS')).toBe('comma-separated list');
    expect(describeType('SECRETSMANAGER_ENDPOINT')).toBe('http(s) URL');
  });

  it('README.md has the markers', () => {
    expect(from, `README.md lacks ${START}`).toBeGreaterThanOrEqual(0);
    expect(to, `README.md lacks ${END} after ${START}`).toBeGreaterThan(from);
  });

  // Until the table is first pasted in, the markers are empty; from then on any drift from the schema fails here.
  it.skipIf(block === '')('README.md holds exactly `npm run config-doc` between the markers', () => {
    expect(block, 'README.md configuration table is out of date: run `npm run config-doc` and paste it between the markers').toBe(configTable().trim());
  });

  it('`npm run config-doc` prints the same table', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', resolve('scripts/config-doc.ts')]);
    expect(stdout).toBe(configTable());
  });
});
