import { z } from 'zod';

/**
 * The one rule for text a user sends that travels on (order items and notes): well-formed Unicode, and only the
 * characters an SQS message body may hold, so an order the API accepts can always be stored and sent:
 *
 * - SQS allows `#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF` and refuses the whole message
 *   otherwise (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html,
 *   MessageBody). That excludes NUL and the other C0 controls, lone surrogates and the noncharacters U+FFFE/U+FFFF.
 * - PostgreSQL refuses NUL in `text` and a lone surrogate escape in `jsonb`; both are already outside the set above.
 *
 * The API's input schema and the worker's event schema both use it, so the two cannot disagree.
 */
const QUEUE_SAFE = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

export const USER_TEXT_MESSAGE = 'must be Unicode text without control characters (tab and line breaks allowed) or U+FFFE/U+FFFF';

/** True when `s` may be stored and sent: see the rule above. */
export const isUserText = (s: string): boolean => QUEUE_SAFE.test(s);

/** A string schema that refuses what `isUserText` refuses, with a message that names the rule, never the value. */
export const userText = () => z.string().refine(isUserText, { message: USER_TEXT_MESSAGE });
