/**
 * `fetch` that keeps the cookies a server sets and sends them back, and does not follow redirects: enough of a
 * browser to walk the hosted login's pages and forms over plain HTTP.
 */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  constructor(private readonly base: string) {}

  async fetch(url: string, init: RequestInit = {}): Promise<Response> {
    const cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(new URL(url, this.base), { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie } });
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';');
      const eq = pair.indexOf('=');
      this.cookies.set(pair.slice(0, eq), pair.slice(eq + 1));
    }
    return res;
  }
}
