/**
 * Keyset paging over a table's `seq`, newest first, shared by every list endpoint. Cursors are opaque: the `seq` of
 * the last row shown, base64url-encoded so clients treat it as a token. `decodeCursor` returns undefined for
 * anything it did not make; `pageBounds` turns that into InvalidCursorError, which callers answer with a 400.
 */
export function encodeCursor(seq: string): string {
  return Buffer.from(`s:${seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string | undefined {
  if (cursor.length > 64 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const m = /^s:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? m[1] : undefined;
}

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/** The largest page a caller may ask for. */
export const MAX_PAGE_LIMIT = 100;

export interface PageRequest {
  /** 1..MAX_PAGE_LIMIT; default 20. */
  limit?: number;
  /** From a previous page's `nextCursor`. */
  cursor?: string;
}

export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
  readonly code = 'CURSOR_INVALID';
  constructor() {
    super('cursor is not one this API returned');
  }
}

export const clampLimit = (limit: number | undefined): number => Math.min(MAX_PAGE_LIMIT, Math.max(1, Math.trunc(limit ?? 20)));

/**
 * What a list query needs: `limit` rows to show and the `seq` to read below (null: from the newest). Fetch
 * `limit + 1` rows so `toPage` can tell whether there is a next page. Throws InvalidCursorError for a foreign cursor.
 */
export function pageBounds(page: PageRequest): { limit: number; after: string | null } {
  if (page.cursor === undefined) return { limit: clampLimit(page.limit), after: null };
  const after = decodeCursor(page.cursor);
  if (after === undefined) throw new InvalidCursorError();
  return { limit: clampLimit(page.limit), after };
}

/** The page from up to `limit + 1` rows fetched newest first: the first `limit` shown, a cursor if more remain. */
export function toPage<R extends { seq: string }, T>(rows: readonly R[], limit: number, toItem: (row: R) => T): Page<T> {
  const shown = rows.slice(0, limit);
  const items = shown.map(toItem);
  const last = shown.at(-1);
  return rows.length > limit && last ? { items, nextCursor: encodeCursor(last.seq) } : { items };
}
