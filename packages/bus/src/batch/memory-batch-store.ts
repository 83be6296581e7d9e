import { randomUUID } from 'node:crypto';
import type {
  BatchJobCounts,
  BatchListOptions,
  BatchRecord,
  BatchStore,
  NewBatchRecord,
} from './batch-store.js';

/** Options of a `MemoryBatchStore`. */
export interface MemoryBatchStoreOptions {
  /** Where times come from, in milliseconds since the epoch. Default: `Date.now`. */
  readonly now?: () => number;
}

interface Stored {
  record: BatchRecord;
  failed: Set<string>;
  // Creation order, to list the newest first even when two batches share a millisecond.
  order: number;
}

/**
 * Batches in this process's memory: the default store, which `findBatch()` uses until another
 * is set. Every change happens in one synchronous step, so counters are atomic within the process.
 * Batches are lost when the process ends; give queued batches that cross processes a shared
 * store (`RedisBatchStore` of `@epilogue/bullmq`).
 *
 * @example
 * app.make(Dispatcher).batches.useStore(new MemoryBatchStore());
 */
export class MemoryBatchStore implements BatchStore {
  readonly #batches = new Map<string, Stored>();
  readonly #now: () => number;
  #created = 0;

  /** @param options - The clock. */
  constructor(options: MemoryBatchStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
  }

  async create(batch: NewBatchRecord): Promise<BatchRecord> {
    const record: BatchRecord = {
      id: randomUUID(),
      name: batch.name,
      totalJobs: 0,
      pendingJobs: 0,
      failedJobs: 0,
      failedJobIds: [],
      options: json(batch.options),
      createdAt: this.#now(),
      cancelledAt: null,
      finishedAt: null,
    };
    this.#batches.set(record.id, { record, failed: new Set(), order: this.#created++ });
    return copy(record);
  }

  async find(id: string): Promise<BatchRecord | undefined> {
    const stored = this.#batches.get(id);
    return stored === undefined ? undefined : copy(stored.record);
  }

  async list(options: BatchListOptions = {}): Promise<BatchRecord[]> {
    const newest = [...this.#batches.values()].sort((a, b) => b.order - a.order);
    const start = options.after === undefined ? 0 : newest.findIndex((stored) => stored.record.id === options.after) + 1;
    if (options.after !== undefined && start === 0) return [];
    return newest.slice(start, start + (options.limit ?? 50)).map((stored) => copy(stored.record));
  }

  async incrementTotalJobs(id: string, count: number): Promise<void> {
    this.#update(id, (r) => ({ ...r, totalJobs: r.totalJobs + count, pendingJobs: r.pendingJobs + count }));
  }

  async decrementPendingJobs(id: string, jobId: string): Promise<BatchJobCounts | undefined> {
    const stored = this.#batches.get(id);
    if (stored === undefined) return undefined;
    stored.failed.delete(jobId);
    return this.#counts(this.#update(id, (r) => ({ ...r, pendingJobs: r.pendingJobs - 1 })));
  }

  async incrementFailedJobs(id: string, jobId: string): Promise<BatchJobCounts | undefined> {
    const stored = this.#batches.get(id);
    if (stored === undefined) return undefined;
    stored.failed.add(jobId);
    return this.#counts(this.#update(id, (r) => ({ ...r, failedJobs: r.failedJobs + 1 })));
  }

  async markAsFinished(id: string): Promise<void> {
    this.#update(id, (r) => (r.finishedAt === null ? { ...r, finishedAt: this.#now() } : r));
  }

  async cancel(id: string): Promise<void> {
    const now = this.#now();
    this.#update(id, (r) => (r.cancelledAt === null ? { ...r, cancelledAt: now, finishedAt: r.finishedAt ?? now } : r));
  }

  async delete(id: string): Promise<void> {
    this.#batches.delete(id);
  }

  async prune(before: number, options: { readonly unfinished?: boolean } = {}): Promise<number> {
    const deleted = this.#deleteWhere((record) => record.finishedAt !== null && record.finishedAt < before);
    return options.unfinished === true ? deleted + (await this.pruneUnfinished(before)) : deleted;
  }

  async pruneUnfinished(before: number): Promise<number> {
    return this.#deleteWhere((record) => record.finishedAt === null && record.createdAt < before);
  }

  async pruneCancelled(before: number): Promise<number> {
    return this.#deleteWhere((record) => record.cancelledAt !== null && record.createdAt < before);
  }

  #deleteWhere(old: (record: BatchRecord) => boolean): number {
    let deleted = 0;
    for (const [id, { record }] of this.#batches) {
      if (old(record)) {
        this.#batches.delete(id);
        deleted++;
      }
    }
    return deleted;
  }

  #update(id: string, change: (record: BatchRecord) => BatchRecord): BatchRecord | undefined {
    const stored = this.#batches.get(id);
    if (stored === undefined) return undefined;
    stored.record = { ...change(stored.record), failedJobIds: [...stored.failed] };
    return stored.record;
  }

  #counts(record: BatchRecord | undefined): BatchJobCounts | undefined {
    return record === undefined ? undefined : { pendingJobs: record.pendingJobs, failedJobs: record.failedJobs };
  }
}

function copy(record: BatchRecord): BatchRecord {
  return { ...record, failedJobIds: [...record.failedJobIds], options: json(record.options) };
}

// Options are JSON data: a copy through JSON keeps the store's copy apart, as a shared store would.
function json(options: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return JSON.parse(JSON.stringify(options)) as Record<string, unknown>;
}
