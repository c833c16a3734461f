import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Journal } from './journal.js';
import type { JournalRecord } from './records.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pier-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const send = (id: string): JournalRecord => ({ o: 's', q: 'q', m: { id, body: `body ${id}`, md5Body: '', sentAt: 1, receiveCount: 0, availableAt: 0 } });
/** The journal's records: the text up to the preallocated zeros. */
const text = async () => {
  const all = await readFile(join(dir, 'journal.jsonl'), 'utf8');
  const end = all.indexOf('\0');
  return end < 0 ? all : all.slice(0, end);
};
const lines = async () => (await text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as JournalRecord);

/** Writes at the end of the data, over the zeros, as a crash mid-write would leave it. */
async function tear(fragment: string) {
  const at = Buffer.byteLength(await text());
  const fh = await open(join(dir, 'journal.jsonl'), 'r+');
  await fh.write(fragment, at);
  await fh.close();
}

describe('Journal', () => {
  it('writes records in order; commit waits for sends, flushAll for everything', async () => {
    const j = await Journal.open({ dir, replay: () => {}, snapshot: () => [] });
    j.append(send('a'));
    j.append({ o: 'r', q: 'q', id: 'a', c: 1, f: 2 });
    j.append(send('b'));
    await j.commit();
    expect((await lines()).map((r) => r.o)).toEqual(['s', 'r', 's']);
    j.append({ o: 'd', q: 'q', id: 'a' });
    await j.flushAll();
    expect((await lines()).at(-1)).toEqual({ o: 'd', q: 'q', id: 'a' });
    await j.close();
  });

  it('replays at start, then rewrites the file as the snapshot; a torn last line is skipped', async () => {
    const j = await Journal.open({ dir, replay: () => {}, snapshot: () => [] });
    for (const id of ['a', 'b', 'c']) j.append(send(id));
    j.append({ o: 'd', q: 'q', id: 'b' });
    await j.close();
    await tear('{"o":"s","q":"q","m":{"id":"tor');

    const seen: JournalRecord[] = [];
    const warnings: string[] = [];
    const j2 = await Journal.open({
      dir,
      replay: (r) => seen.push(r),
      snapshot: () => [send('a'), send('c')],
      onWarning: (m) => warnings.push(m),
    });
    expect(seen.map((r) => (r.o === 's' ? r.m.id : r.o))).toEqual(['a', 'b', 'c', 'd']);
    expect(warnings).toEqual(['skipped unreadable journal lines']);
    expect((await lines()).map((r) => (r.o === 's' ? r.m.id : r.o))).toEqual(['a', 'c']);
    await j2.close();
  });

  it('writes over a zero-filled tail, grows it when needed, and replay stops at it', async () => {
    const j = await Journal.open({ dir, replay: () => {}, snapshot: () => [] });
    j.append(send('a'));
    await j.commit();
    const size = (await readFile(join(dir, 'journal.jsonl'))).length;
    expect(size).toBeGreaterThanOrEqual(8 * 1024 * 1024);
    // A record bigger than the rest of the allocation (a 1 MiB body, many times over).
    for (let i = 0; i < 9; i++) j.append({ o: 's', q: 'q', m: { id: `big${i}`, body: 'x'.repeat(1024 * 1024), md5Body: '', sentAt: 1, receiveCount: 0, availableAt: 0 } });
    await j.commit();
    expect((await readFile(join(dir, 'journal.jsonl'))).length).toBeGreaterThan(size);
    await j.close();
    const seen: string[] = [];
    const warnings: string[] = [];
    const j2 = await Journal.open({ dir, replay: (r) => seen.push(r.o === 's' ? r.m.id : r.o), snapshot: () => [], onWarning: (m) => warnings.push(m) });
    expect(seen).toEqual(['a', ...Array.from({ length: 9 }, (_, i) => `big${i}`)]);
    expect(warnings).toEqual([]);
    await j2.close();
  });

  it('compacts while running once the journal outgrows its snapshot', async () => {
    let state: JournalRecord[] = [];
    const j = await Journal.open({ dir, replay: () => {}, snapshot: () => state, compactAfterBytes: 10_000 });
    for (let i = 0; i < 300; i++) {
      j.append(send(`m${i}`));
      j.append({ o: 'd', q: 'q', id: `m${i}` });
      await j.commit();
    }
    state = [send('kept')];
    j.append(send('trigger'));
    await j.commit();
    const after = await lines();
    // Far fewer lines than the 601 appended: the file was replaced by a snapshot along the way.
    expect(after.length).toBeLessThan(200);
    await j.close();
  });
});
