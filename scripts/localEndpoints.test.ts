import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { endpointString, readLocalEndpoints } from './localEndpoints.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-endpoints-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readLocalEndpoints', () => {
  it('reads the object npm start wrote, and endpointString picks string entries only', async () => {
    await writeFile(join(dir, 'endpoints.json'), JSON.stringify({ sqs: 'http://127.0.0.1:9324', port: 9324 }));
    const endpoints = await readLocalEndpoints(dir);
    expect(endpointString(endpoints, 'sqs')).toBe('http://127.0.0.1:9324');
    expect(endpointString(endpoints, 'port')).toBeUndefined();
    expect(endpointString(endpoints, 'identity')).toBeUndefined();
  });

  it('is empty when the file is missing, not JSON, or not an object', async () => {
    expect(await readLocalEndpoints(dir)).toEqual({});
    await writeFile(join(dir, 'endpoints.json'), '{ nope');
    expect(await readLocalEndpoints(dir)).toEqual({});
    await writeFile(join(dir, 'endpoints.json'), '["http://x"]');
    expect(await readLocalEndpoints(dir)).toEqual({});
  });
});
