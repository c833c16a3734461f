import { ConfigError } from '../../src/config/index.js';

/** The ConfigError `p` rejects with; any other outcome fails the test. */
export async function configError(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}
