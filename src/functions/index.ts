import type { FunctionName } from '../routes.js';
import type { DepsSource } from './deps.js';
import { createMeHandler } from './me.js';
import { createNotificationsHandler } from './notifications.js';

export { lambdaDeps, type DepsSource, type FunctionDeps } from './deps.js';
export { createMeHandler } from './me.js';
export { createNotificationsHandler } from './notifications.js';

/** Every FUNCTIONS entry's handler factory: the local gateway builds them all with the runner's deps. */
export const HANDLER_FACTORIES = {
  me: createMeHandler,
  notifications: createNotificationsHandler,
} satisfies Record<FunctionName, (deps: DepsSource) => unknown>;

export function createHandlers(deps: DepsSource) {
  return Object.fromEntries(Object.entries(HANDLER_FACTORIES).map(([name, make]) => [name, make(deps)])) as {
    [K in FunctionName]: ReturnType<(typeof HANDLER_FACTORIES)[K]>;
  };
}
