import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, Context } from 'aws-lambda';

/** A Lambda handler as the gateway invokes it (async handlers only: Node.js 24+ runtimes drop callbacks too). */
export type GatewayHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => unknown;

export class LambdaTimeoutError extends Error {
  override readonly name = 'LambdaTimeoutError';
  readonly code = 'LAMBDA_TIMEOUT';
}

function unsupported(): never {
  throw new Error('context.done/succeed/fail are not supported: return or throw from an async handler');
}

/** The Lambda `Context` the runtime would pass (a class: built per invocation, its methods shared). */
class LocalContext implements Context {
  callbackWaitsForEmptyEventLoop = true;
  readonly functionVersion = '$LATEST';
  readonly memoryLimitInMB = '256';
  readonly logStreamName = 'local';
  readonly awsRequestId = randomUUID();
  readonly invokedFunctionArn: string;
  readonly logGroupName: string;
  readonly #deadline: number;

  constructor(
    readonly functionName: string,
    timeoutMs: number,
    region: string,
  ) {
    this.invokedFunctionArn = `arn:aws:lambda:${region}:000000000000:function:${functionName}`;
    this.logGroupName = `/aws/lambda/${functionName}`;
    this.#deadline = Date.now() + timeoutMs;
  }

  getRemainingTimeInMillis(): number {
    return Math.max(0, this.#deadline - Date.now());
  }

  done(): never {
    return unsupported();
  }
  fail(): never {
    return unsupported();
  }
  succeed(): never {
    return unsupported();
  }
}

/** The Lambda `Context` for one invocation of `functionName` with `timeoutMs`. */
export function lambdaContext(functionName: string, timeoutMs: number, region: string): Context {
  return new LocalContext(functionName, timeoutMs, region);
}

/**
 * Runs the handler in this process and settles with its result, its error, or a LambdaTimeoutError once the
 * function's timeout passes. (In AWS the runtime is then frozen; here the late promise is left to finish unseen.)
 */
export async function invokeHandler(
  handler: GatewayHandler,
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
  timeoutMs: number,
): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LambdaTimeoutError(`${context.functionName} timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(() => handler(event, context)), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
