/** `http://<host>:<port>`, with an IPv6 address in brackets as a URL needs it. */
export function httpUrl(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
