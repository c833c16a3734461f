import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdentity, type TestIdentity } from './testing.js';

describe('identity server: what a browser asks for besides the pages', () => {
  let t: TestIdentity;
  beforeAll(async () => {
    t = await startTestIdentity();
  });
  afterAll(async () => {
    await t.close();
    await rm(t.dir, { recursive: true, force: true });
  });

  it('answers /favicon.ico with an empty 204, so the hosted login logs no 404 in the console', async () => {
    const res = await fetch(`${t.identity.url}/favicon.ico`);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
  });

  it('still answers unknown paths with 404', async () => {
    expect((await fetch(`${t.identity.url}/favicon.png`)).status).toBe(404);
  });
});
