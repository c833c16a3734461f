import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { TokenVerifier } from '../auth/index.js';
import { InvalidCursorError, MAX_PAGE_LIMIT, type Db } from '../db/index.js';
import { ORDER_LIMITS } from '../events/schemas.js';
import { userText } from '../events/userText.js';
import { ApiError, authHook, caller, fastifyPath, openApiSchema as json, openApiSecurity, parseInput, serviceRoute } from '../http.js';
import { currentTraceparent } from '../telemetry/tracing.js';
import { getOrder, IdempotencyKeyReusedError, listOrders, placeOrder } from './repository.js';

export const orderInput = z.strictObject({
  item: userText().trim().min(1).max(ORDER_LIMITS.itemMaxChars),
  quantity: z.number().int().min(1).max(ORDER_LIMITS.maxQuantity),
  note: userText().max(ORDER_LIMITS.noteMaxChars).optional(),
});

export const orderOutput = z.object({
  id: z.uuid(),
  item: z.string(),
  quantity: z.int(),
  note: z.string().nullable(),
  /** placed: written with its event; notified: the worker recorded its notification; failed: its event could not be sent or processed. */
  status: z.enum(['placed', 'notified', 'failed']),
  createdAt: z.string(),
});

const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).optional(),
  cursor: z.string().min(1).max(64).optional(),
});

const idParams = z.object({ id: z.uuid({ message: 'order ids are UUIDs' }) });

/** Printable ASCII, as the IETF Idempotency-Key draft and Stripe use; long enough for a UUID or a hash. */
const idempotencyKey = z.string().regex(/^[\x21-\x7e]{1,255}$/, 'Idempotency-Key must be 1-255 printable ASCII characters');

const errorSchema = z.object({ message: z.string(), code: z.string() });

export interface OrderRoutesDeps {
  db: Db;
  verifier: TokenVerifier;
  /** Called after an order commits: wakes the outbox relay so the event leaves at once. */
  onOrderPlaced?: () => void;
}

export function registerOrderRoutes(app: FastifyInstance, deps: OrderRoutesDeps): void {
  const { db, verifier } = deps;
  const post = serviceRoute('POST', '/orders');
  app.post(
    fastifyPath(post.path),
    {
      onRequest: authHook(post, verifier),
      schema: {
        summary: 'Place an order',
        description: 'A retry with the same Idempotency-Key and body returns the first order (201, Idempotent-Replayed: true).',
        headers: json(z.object({ 'idempotency-key': idempotencyKey.optional() })),
        body: json(orderInput),
        response: { 201: json(orderOutput), 400: json(errorSchema), 422: json(errorSchema) },
        security: openApiSecurity(post),
      },
    },
    async (req, reply) => {
      const user = caller(req);
      const rawKey = req.headers['idempotency-key'];
      const key = rawKey === undefined ? undefined : parseInput(idempotencyKey, rawKey, 'Idempotency-Key header');
      const input = parseInput(orderInput, req.body, 'order');
      try {
        // The request's trace context, stored with the outbox row as a plain value: the relay and worker continue it.
        const traceContext = currentTraceparent();
        const { order, created } = await placeOrder(db, user.sub, input, key, traceContext === undefined ? {} : { traceContext });
        if (created) deps.onOrderPlaced?.();
        else reply.header('idempotent-replayed', 'true');
        reply.header('location', `/orders/${order.id}`);
        return reply.code(201).send(order);
      } catch (err) {
        if (err instanceof IdempotencyKeyReusedError) throw new ApiError(422, err.code, err.message);
        throw err;
      }
    },
  );

  const list = serviceRoute('GET', '/orders');
  app.get(
    fastifyPath(list.path),
    {
      onRequest: authHook(list, verifier),
      schema: {
        summary: 'Your orders, newest first',
        querystring: json(listQuery),
        response: { 200: json(z.object({ items: z.array(orderOutput), nextCursor: z.string().optional() })) },
        security: openApiSecurity(list),
      },
    },
    async (req) => {
      const user = caller(req);
      const q = parseInput(listQuery, req.query, 'query string');
      try {
        return await listOrders(db, user.sub, q);
      } catch (err) {
        if (err instanceof InvalidCursorError) throw new ApiError(400, err.code, err.message);
        throw err;
      }
    },
  );

  const one = serviceRoute('GET', '/orders/{id}');
  app.get(
    fastifyPath(one.path),
    {
      onRequest: authHook(one, verifier),
      schema: {
        summary: 'One of your orders',
        params: json(idParams),
        response: { 200: json(orderOutput), 404: json(errorSchema) },
        security: openApiSecurity(one),
      },
    },
    async (req) => {
      const user = caller(req);
      const { id } = parseInput(idParams, req.params, 'order id');
      const order = await getOrder(db, user.sub, id);
      // Another user's order is indistinguishable from a missing one.
      if (!order) throw new ApiError(404, 'ORDER_NOT_FOUND', 'no such order');
      return order;
    },
  );
}
