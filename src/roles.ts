import type { AddressInfo } from 'node:net';
import type { Config } from './config/index.js';
import type { Logger } from './log.js';
import { buildService } from './service.js';

/** A started role: what it listens on (if anything) and how to stop it gracefully. */
export interface RunningRole {
  url?: string;
  /** Stops taking work, finishes what is in flight, then resolves. */
  stop(): Promise<void>;
}

/**
 * The service role: the same function runs inside the Docker image (`node dist/main.js service`) and inside
 * `npm start`, so what is tested locally is what ships.
 */
export async function runService(config: Config, logger: Logger): Promise<RunningRole> {
  const app = await buildService({ config, logger });
  await app.listen({ host: config.SERVICE_HOST, port: config.SERVICE_PORT });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://${config.SERVICE_HOST}:${port}`,
    // Fastify's close stops accepting, then waits for in-flight requests.
    stop: () => app.close(),
  };
}
