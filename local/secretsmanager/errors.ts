/**
 * An error the way AWS JSON 1.1 services report one: HTTP 400, `__type` naming the exception, and `message`. The
 * AWS SDK turns `__type` into the exception class, so callers can test `err.name === 'ResourceNotFoundException'`
 * against the stand-in exactly as against AWS.
 */
export type AwsErrorType =
  | 'ResourceNotFoundException'
  | 'ResourceExistsException'
  | 'InvalidRequestException'
  | 'InvalidParameterException'
  | 'InvalidNextTokenException'
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'InternalServiceError';

export class AwsError extends Error {
  readonly type: AwsErrorType;
  readonly status: number;

  constructor(type: AwsErrorType, message: string, status = 400) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = status;
  }
}

export const notFound = () => new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
export const invalidParameter = (message: string) => new AwsError('InvalidParameterException', message);
export const invalidRequest = (message: string) => new AwsError('InvalidRequestException', message);
