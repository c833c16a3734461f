import { describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, localCredentials } from './localCredentials.js';

describe('localCredentials', () => {
  it('gives dummy keys for an endpoint when the environment configures no credentials', () => {
    expect(localCredentials('http://127.0.0.1:4566', {})).toEqual({ credentials: LOCAL_CREDENTIALS });
  });

  it('leaves the SDK chain alone against AWS, or when the environment has credentials of any kind', () => {
    expect(localCredentials(undefined, {})).toEqual({});
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI']) {
      expect(localCredentials('http://127.0.0.1:4566', { [key]: 'x' }), key).toEqual({});
    }
  });
});
