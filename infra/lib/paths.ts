import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (infra/lib/../..): the Docker build context and the base of FUNCTIONS' entries. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
