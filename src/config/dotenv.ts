import { ConfigError } from './errors.js';

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

/**
 * Parses a `.env` file strictly: `KEY=value`, `KEY="with \"escapes\" and\nnewlines"`, `KEY='literal'`,
 * `export KEY=...`, `#` comments and blank lines. Anything else is an error naming the file and line number
 * (never the line's content: it may hold a secret). Strictness is the point: a silently skipped line is a
 * setting that quietly falls back to its default.
 */
export function parseDotenv(text: string, source = '.env'): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    if (/^\s*(#.*)?$/.test(raw)) continue;
    const match = LINE.exec(raw);
    // Reported against the line the setting starts on: a quote left open swallows the lines after it.
    const startLine = i + 1;
    const malformed = (why: string) =>
      new ConfigError([{ code: 'CONFIG_DOTENV_MALFORMED', source, message: `${source} line ${startLine}: ${why}` }]);
    if (!match) throw malformed('expected KEY=value (keys are letters, digits and _, not starting with a digit)');
    const key = match[1] as string;
    let rest = match[2] as string;
    let value: string;
    if (rest.startsWith('"')) {
      // Double quotes may span lines and understand backslash escapes.
      let body = rest.slice(1);
      let end = findClosingQuote(body);
      while (end < 0 && i + 1 < lines.length) {
        body += '\n' + (lines[++i] ?? '');
        end = findClosingQuote(body);
      }
      if (end < 0) throw malformed(`the double-quoted value of ${key} is never closed`);
      if (!/^\s*(#.*)?$/.test(body.slice(end + 1))) throw malformed(`unexpected text after the quoted value of ${key}`);
      value = body.slice(0, end).replace(/\\(.)/g, (_m, c: string) => ESCAPES[c] ?? `\\${c}`);
    } else if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      if (end < 0) throw malformed(`the single-quoted value of ${key} is never closed`);
      if (!/^\s*(#.*)?$/.test(rest.slice(end + 1))) throw malformed(`unexpected text after the quoted value of ${key}`);
      value = rest.slice(1, end);
    } else {
      rest = rest.replace(/\s+#.*$/, '');
      value = rest.trim();
    }
    out[key] = value;
  }
  return out;
}

function findClosingQuote(s: string): number {
  for (let j = 0; j < s.length; j++) {
    if (s[j] === '\\') j++;
    else if (s[j] === '"') return j;
  }
  return -1;
}

/** Writes values back in a form `parseDotenv` reads unchanged, keys sorted so diffs stay small. */
export function formatDotenv(values: Record<string, string>): string {
  return Object.keys(values)
    .sort()
    .map((key) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new TypeError(`not a valid .env key: ${key}`);
      const v = values[key] ?? '';
      const escaped = v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
      return `${key}="${escaped}"\n`;
    })
    .join('');
}
