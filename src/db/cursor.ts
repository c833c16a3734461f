/**
 * Opaque page cursors: the `seq` of the last row shown, base64url-encoded so clients treat it as a token.
 * `decodeCursor` returns undefined for anything it did not make; callers answer 400.
 */
export function encodeCursor(seq: string): string {
  return Buffer.from(`s:${seq}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string | undefined {
  if (cursor.length > 64 || !/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const m = /^s:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? m[1] : undefined;
}
