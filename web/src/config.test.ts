import { describe, expect, it } from 'vitest';
import { ConfigInvalidError, parseWebConfig } from './config';

const good = {
  identityDomain: 'https://pier.auth.us-east-1.amazoncognito.com/',
  clientId: 'abc123',
  apiUrl: 'https://api.example.com',
  redirectUri: 'https://d111.cloudfront.net/callback',
  logoutUri: 'https://d111.cloudfront.net/',
  scopes: ['openid', 'pier/orders.read'],
};

describe('parseWebConfig', () => {
  it('accepts a generated config, trimming trailing slashes from base URLs and defaulting the poll interval', () => {
    expect(parseWebConfig(good)).toEqual({ ...good, identityDomain: 'https://pier.auth.us-east-1.amazoncognito.com', pollIntervalMs: 1500 });
  });
  it.each([
    [{ ...good, identityDomain: 'javascript:alert(1)' }, /identityDomain/],
    [{ ...good, apiUrl: undefined }, /apiUrl/],
    [{ ...good, redirectUri: '/callback' }, /redirectUri/],
    [{ ...good, clientId: '' }, /clientId/],
    [{ ...good, scopes: [] }, /scopes/],
    [{ ...good, scopes: ['two words'] }, /scopes/],
    [{ ...good, pollIntervalMs: 10 }, /pollIntervalMs/],
    [[], /not a JSON object/],
  ])('refuses a bad config (%#)', (raw, message) => {
    expect(() => parseWebConfig(raw)).toThrow(ConfigInvalidError);
    expect(() => parseWebConfig(raw)).toThrow(message);
  });
});
