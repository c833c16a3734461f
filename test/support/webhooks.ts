/** A real local webhook receiver and a Standard Webhooks signature check, for the webhook-sender suites. */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Receiver {
  url: string;
  calls: { headers: IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

export async function startReceiver(status = 204): Promise<Receiver> {
  const calls: Receiver['calls'] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      calls.push({ headers: req.headers, body });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/pier`,
    calls,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Whether a received call's signature verifies with `secret` (`whsec_...`), as a receiver checks it. */
export function verifies(call: { headers: IncomingHttpHeaders; body: string }, secret: string): boolean {
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const id = call.headers['webhook-id'] as string;
  const ts = call.headers['webhook-timestamp'] as string;
  const expected = `v1,${createHmac('sha256', key).update(`${id}.${ts}.${call.body}`).digest('base64')}`;
  return String(call.headers['webhook-signature'] ?? '')
    .split(' ')
    .includes(expected);
}
