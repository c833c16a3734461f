import { describe, expect, it } from 'vitest';
import { credentialsConfigured } from './awsCredentials.js';

describe('credentialsConfigured', () => {
  it('is true for credentials in the environment or a ~/.aws folder, false for neither', () => {
    expect(credentialsConfigured({}, false)).toBe(false);
    expect(credentialsConfigured({}, true)).toBe(true);
    expect(credentialsConfigured({ AWS_PROFILE: 'dev' }, false)).toBe(true);
    expect(credentialsConfigured({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.2/creds' }, false)).toBe(true);
  });
});
