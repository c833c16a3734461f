/**
 * SQS errors as the AWS JSON protocol reports them. `code` is the shape name the SDK turns into `err.name`
 * (`__type` is `com.amazonaws.sqs#<code>`); `queryCode` goes into the `x-amzn-query-error` header, which the SDK
 * (awsQueryCompatible) reads first and exposes as `err.Code`, matching what the older query protocol said.
 */
export class SqsError extends Error {
  override readonly name = 'SqsError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly queryCode = code,
    readonly fault: 'Sender' | 'Receiver' = status >= 500 ? 'Receiver' : 'Sender',
  ) {
    super(message);
  }
}

export const errors = {
  queueDoesNotExist: (name?: string) =>
    new SqsError('QueueDoesNotExist', `The specified queue does not exist${name ? `: ${name}` : ''}.`, 400, 'AWS.SimpleQueueService.NonExistentQueue'),
  queueNameExists: (name: string) =>
    new SqsError('QueueNameExists', `A queue named ${name} already exists with different attributes.`, 400, 'QueueAlreadyExists'),
  invalidAddress: (address: string) => new SqsError('InvalidAddress', `The address ${address} is not valid for this endpoint.`, 404),
  invalidParameterValue: (message: string) => new SqsError('InvalidParameterValue', message),
  missingParameter: (name: string) => new SqsError('MissingParameter', `The request must contain the parameter ${name}.`),
  invalidAttributeName: (name: string) => new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`),
  invalidAttributeValue: (message: string) => new SqsError('InvalidAttributeValue', message),
  invalidMessageContents: (message: string) => new SqsError('InvalidMessageContents', message),
  receiptHandleIsInvalid: (handle: string) =>
    new SqsError('ReceiptHandleIsInvalid', `The input receipt handle "${handle.slice(0, 100)}" is not a valid receipt handle.`, 404),
  messageNotInflight: () => new SqsError('MessageNotInflight', 'The message referred to is not in flight.', 400, 'AWS.SimpleQueueService.MessageNotInflight'),
  emptyBatch: () => new SqsError('EmptyBatchRequest', 'There should be at least one entry in the request.', 400, 'AWS.SimpleQueueService.EmptyBatchRequest'),
  tooManyEntries: (n: number) =>
    new SqsError('TooManyEntriesInBatchRequest', `Maximum number of entries per request are 10. You have sent ${n}.`, 400, 'AWS.SimpleQueueService.TooManyEntriesInBatchRequest'),
  idsNotDistinct: (id: string) =>
    new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`, 400, 'AWS.SimpleQueueService.BatchEntryIdsNotDistinct'),
  invalidBatchEntryId: () =>
    new SqsError(
      'InvalidBatchEntryId',
      'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      400,
      'AWS.SimpleQueueService.InvalidBatchEntryId',
    ),
  batchTooLong: (total: number, max: number) =>
    new SqsError('BatchRequestTooLong', `Batch requests cannot be longer than ${max} bytes. You have sent ${total} bytes.`, 400, 'AWS.SimpleQueueService.BatchRequestTooLong'),
  unsupportedOperation: (message: string) => new SqsError('UnsupportedOperation', message, 400, 'AWS.SimpleQueueService.UnsupportedOperation'),
  resourceNotFound: (message: string) => new SqsError('ResourceNotFoundException', message, 404),
  invalidAction: (action: string) => new SqsError('InvalidAction', `The action ${action} is not valid for this endpoint.`),
  serialization: (message: string) => new SqsError('SerializationException', message),
  internal: () => new SqsError('InternalFailure', 'The request processing has failed because of an unknown error.', 500),
};
