import { createReadStream } from 'node:fs';
import { mkdir, open, rename, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { JournalRecord } from './records.js';

export interface JournalOptions {
  dir: string;
  /** Called for each record found at start-up, in order. */
  replay: (record: JournalRecord) => void;
  /** The whole current state as records; written as the new journal at start-up and when it grows large. */
  snapshot: () => JournalRecord[];
  /** Compact while running once this many bytes were appended (and the journal is 4x its last snapshot). */
  compactAfterBytes?: number;
  onWarning?: (message: string, detail?: Record<string, unknown>) => void;
  /** false: write without fdatasync (survives a process crash, not a power cut). Default true. */
  sync?: boolean;
}

/**
 * Records an answer does not wait for: receive counts, deletes and moves. They are written in order with the rest
 * (within milliseconds, and always before a later send's flush completes), but losing one to a power cut only
 * means a message is delivered again, which SQS's at-least-once delivery allows anyway. Sends and queue changes
 * are on disk before they are acknowledged.
 */
const RELAXED = new Set<JournalRecord['o']>(['r', 'd', 'mv']);

const PREALLOCATE_BYTES = 8 * 1024 * 1024;

interface Waiter {
  target: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * An append-only journal of queue changes, one JSON line each. Changes made while one write is on its way gather
 * and go out together with one fdatasync (group commit), so a burst of requests costs one disk flush; `commit()`
 * resolves once every change that must be durable before it is answered is on disk. At start-up the journal is
 * replayed and rewritten as a snapshot of what is left (compaction); a torn last line from a crash is ignored.
 */
export class Journal {
  private pending: string[] = [];
  private appended = 0;
  /** Sequence number of the last record an answer must wait for. */
  private mustSync = 0;
  private durable = 0;
  private waiters: Waiter[] = [];
  private flushing = false;
  private scheduled = false;
  private failed?: Error;
  private bytesSinceCompaction = 0;
  /** Where the next write goes, and how far the file is allocated (zero-filled) beyond it. */
  private offset = 0;
  private allocated = 0;
  private lastSnapshotBytes = 0;
  private closed = false;

  private constructor(
    private readonly opts: JournalOptions,
    private fh: FileHandle,
    private readonly path: string,
  ) {}

  static async open(opts: JournalOptions): Promise<Journal> {
    await mkdir(opts.dir, { recursive: true, mode: 0o700 });
    const path = join(opts.dir, 'journal.jsonl');
    const exists = await stat(path).then(
      () => true,
      () => false,
    );
    if (exists) await replayFile(path, opts);
    const { fh, bytes } = await writeSnapshot(path, opts.snapshot());
    const journal = new Journal(opts, fh, path);
    journal.lastSnapshotBytes = bytes;
    journal.offset = journal.allocated = bytes;
    return journal;
  }

  /** Queues a record for the next flush (which starts on its own). */
  append(record: JournalRecord): void {
    if (this.closed) return;
    const line = JSON.stringify(record) + '\n';
    this.pending.push(line);
    this.appended += 1;
    if (!RELAXED.has(record.o)) this.mustSync = this.appended;
    this.schedule();
  }

  /** Resolves when every record appended so far that must be durable before an answer is on disk. */
  commit(): Promise<void> {
    return this.waitFor(this.mustSync);
  }

  /** Resolves when every record appended so far is on disk. */
  flushAll(): Promise<void> {
    return this.waitFor(this.appended);
  }

  private waitFor(target: number): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.durable >= target) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ target, resolve, reject });
      this.schedule();
    });
  }

  async close(): Promise<void> {
    await this.flushAll().catch(() => {});
    this.closed = true;
    await this.fh.close();
  }

  private schedule(): void {
    if (this.scheduled || this.flushing) return;
    this.scheduled = true;
    // setImmediate: everything the requests of this event-loop turn appended goes out in one write.
    setImmediate(() => {
      this.scheduled = false;
      void this.flushLoop();
    });
  }

  private async flushLoop(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const upto = this.appended;
        if (this.shouldCompact()) {
          // The snapshot is the in-memory state, which already holds every pending change.
          // Taken before any await, so changes appended meanwhile are not in it and stay pending.
          const records = this.opts.snapshot();
          this.pending = [];
          await this.fh.close();
          const { fh, bytes } = await writeSnapshot(this.path, records);
          this.fh = fh;
          this.lastSnapshotBytes = bytes;
          this.offset = this.allocated = bytes;
          this.bytesSinceCompaction = 0;
        } else {
          const data = Buffer.from(this.pending.join(''));
          this.pending = [];
          if (this.offset + data.length > this.allocated) await this.preallocate(data.length);
          await writeAll(this.fh, data, this.offset);
          this.offset += data.length;
          if (this.opts.sync !== false) await this.fh.datasync();
          this.bytesSinceCompaction += data.length;
        }
        this.durable = upto;
        this.waiters = this.waiters.filter((w) => {
          if (w.target > upto) return true;
          w.resolve();
          return false;
        });
      }
    } catch (err) {
      this.failed = err as Error;
      this.opts.onWarning?.('journal write failed; the SQS endpoint stops accepting changes', { err: String(err) });
      for (const w of this.waiters.splice(0)) w.reject(this.failed);
    } finally {
      this.flushing = false;
    }
    if (this.pending.length > 0 && !this.failed) this.schedule();
  }

  /**
   * Extends the file with zeros ahead of the writes. Overwriting blocks that already exist lets fdatasync skip the
   * file-size and block-allocation metadata an append would change, which makes each flush several times cheaper.
   * Replay stops at the zeros.
   */
  private async preallocate(need: number): Promise<void> {
    const size = Math.max(PREALLOCATE_BYTES, need);
    await writeAll(this.fh, Buffer.alloc(size), this.allocated);
    this.allocated += size;
    if (this.opts.sync !== false) await this.fh.sync();
  }

  private shouldCompact(): boolean {
    const limit = this.opts.compactAfterBytes ?? 64 * 1024 * 1024;
    return this.bytesSinceCompaction > limit && this.bytesSinceCompaction > 4 * this.lastSnapshotBytes;
  }
}

async function replayFile(path: string, opts: JournalOptions): Promise<void> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let bad = 0;
  let lineNo = 0;
  for await (const line of lines) {
    lineNo += 1;
    if (line === '') continue;
    // The zero-filled tail that was allocated ahead of the writes: the journal ends here.
    if (line.charCodeAt(0) === 0) break;
    let record: JournalRecord;
    try {
      record = JSON.parse(line) as JournalRecord;
    } catch {
      // A crash can leave a torn last line; it was never acknowledged, so dropping it loses nothing promised.
      bad += 1;
      continue;
    }
    opts.replay(record);
  }
  if (bad > 0) opts.onWarning?.('skipped unreadable journal lines', { bad, lines: lineNo });
}

/** Writes the records to a temporary file, syncs it and renames it over the journal; returns the open journal. */
async function writeSnapshot(path: string, records: JournalRecord[]): Promise<{ fh: FileHandle; bytes: number }> {
  const tmp = `${path}.tmp`;
  const out = await open(tmp, 'w', 0o600);
  let bytes = 0;
  try {
    // In chunks, so a large state does not become one huge string.
    let chunk: string[] = [];
    let size = 0;
    for (const r of records) {
      const line = JSON.stringify(r) + '\n';
      chunk.push(line);
      size += line.length;
      if (size > 4 * 1024 * 1024) {
        const data = Buffer.from(chunk.join(''));
        await writeAll(out, data);
        bytes += data.length;
        chunk = [];
        size = 0;
      }
    }
    const data = Buffer.from(chunk.join(''));
    await writeAll(out, data);
    bytes += data.length;
    await out.sync();
  } finally {
    await out.close();
  }
  await rename(tmp, path);
  await syncDir(path);
  // Not append mode: writes go to explicit positions, over the preallocated zeros.
  return { fh: await open(path, 'r+', 0o600), bytes };
}

async function syncDir(file: string): Promise<void> {
  const dir = await open(join(file, '..'), 'r');
  try {
    await dir.sync();
  } catch {
    // Some file systems do not allow syncing a directory; the rename is still atomic.
  } finally {
    await dir.close();
  }
}

async function writeAll(fh: FileHandle, data: Buffer, position?: number): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off, position === undefined ? null : position + off);
    off += bytesWritten;
  }
}
