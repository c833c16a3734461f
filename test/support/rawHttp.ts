import { connect } from 'node:net';

/**
 * Sends `head` (and nothing more) on a raw connection to `url`'s host and port; resolves with what came back once
 * the server closes the connection (or after 15 s, when the test has failed anyway).
 */
export async function unfinished(url: string, head: string): Promise<{ ms: number; response: string }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  const started = performance.now();
  let response = '';
  socket.on('data', (d: Buffer) => (response += d.toString('latin1')));
  socket.on('error', () => {});
  socket.write(head);
  const guard = setTimeout(() => socket.destroy(), 15_000);
  await new Promise<void>((resolve) => socket.on('close', () => resolve()));
  clearTimeout(guard);
  return { ms: performance.now() - started, response };
}
