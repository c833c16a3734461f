import type { FastifyReply } from 'fastify';

/** Markup that is already safe; everything else interpolated into `html` is escaped. */
export class Html {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"'`]/g, (c) => ESCAPES[c] as string);

function render(v: unknown): string {
  if (v instanceof Html) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  if (v === undefined || v === null || v === false) return '';
  return escapeHtml(String(v));
}

/**
 * Tagged template for pages: every interpolated value is HTML-escaped unless it is itself `Html`, so a request
 * value can only reach a page as text (and attribute values are always double-quoted in the templates).
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f5f8;color:#1d2430}
main{max-width:26rem;margin:0 auto;padding:1.5rem 1rem}.card{background:#fff;border-radius:12px;padding:1.5rem;box-shadow:0 1px 4px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:0 0 1rem}label{display:block;margin:.9rem 0 .3rem;font-weight:600}
input[type=email],input[type=password],input[type=text]{width:100%;padding:.7rem;font-size:1rem;border:1px solid #b8c0cc;border-radius:8px}
button{width:100%;margin-top:1.2rem;padding:.8rem;font-size:1rem;font-weight:600;color:#fff;background:#1f5fbf;border:0;border-radius:8px;cursor:pointer}
button.link{background:none;color:#1f5fbf;padding:.2rem;margin-top:.6rem;font-weight:400;text-decoration:underline}
.error{background:#fdecec;color:#8a1c1c;border-radius:8px;padding:.7rem;margin-bottom:1rem}.notice{background:#e8f4ea;color:#1c5a2a;border-radius:8px;padding:.7rem;margin-bottom:1rem}
.hint{font-size:.9rem;color:#5a6474}nav{margin-top:1.2rem;font-size:.95rem}nav a{color:#1f5fbf;display:inline-block;margin:.2rem .8rem .2rem 0}
.brand{font-weight:700;color:#1f5fbf;margin-bottom:1rem}`;

export function page(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Pier</title>
<style>${new Html(STYLE)}</style>
</head>
<body><main><div class="brand">Pier · local sign-in</div><div class="card">
<h1>${title}</h1>
${body}
</div><p class="hint">Local stand-in for Amazon Cognito's hosted login.</p></main></body>
</html>`;
}

/** HTML responses are never cached or framed, and run no script at all. */
export function sendHtml(reply: FastifyReply, status: number, body: Html): FastifyReply {
  return reply
    .code(status)
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; base-uri 'none'")
    .send(body.value);
}
