import { randomUUID } from 'node:crypto';
import {
  Batch,
  batchChains,
  BatchNotFoundError,
  type BatchEntry,
  type BatchOperations,
  type BatchOptions,
  type BatchRecord,
} from '@epilogue/bus';
import { nameOf } from '../assertions/describe-value.js';

/** A batch the fake bus received instead of dispatching it: what `assertBatched()` predicates receive. */
export interface PendingBatchRecord {
  /** The id of the `Batch` that `dispatch()` resolved to. */
  readonly id: string;
  /**
   * The jobs, as given to `bus.batch()` (falsy entries dropped, a chain as a list), and then
   * those added with `batch.add()`. `jobs.flat()` lists every job.
   */
  readonly jobs: readonly (object | readonly object[])[];
  /** The name given with `name()`, if any. */
  readonly name: string | undefined;
  /** The options: `connection`, `queue`, `allowFailures` and the `onSuccess`, `catch` and `finally` callbacks. */
  readonly options: BatchOptions;
}

interface Kept {
  entry: PendingBatchRecord & { jobs: (object | object[])[] };
  record: BatchRecord;
}

/**
 * The batches a fake bus recorded, and the `Batch` each `dispatch()` resolved to: its jobs are
 * counted (none runs, none is pending for ever: `pendingJobs` is `totalJobs`), `add()` records
 * more jobs, `cancel()`, `fresh()` and `delete()` work on the fake's copy, and `findBatch()` of
 * the faked bus finds it.
 */
export class FakeBatches implements BatchOperations {
  readonly #kept = new Map<string, Kept>();

  /** The recorded batches, in the order they were dispatched. */
  get recorded(): PendingBatchRecord[] {
    return [...this.#kept.values()].map((kept) => kept.entry);
  }

  /** Whether the fake dispatched the batch of this id. */
  has(id: string): boolean {
    return this.#kept.has(id);
  }

  /**
   * Records a batch instead of dispatching it.
   *
   * @throws {InvalidBatchError} (as a rejection) For a list the real bus refuses too.
   */
  async dispatch(entries: readonly BatchEntry[], options: BatchOptions): Promise<Batch> {
    const chains = batchChains(entries);
    const id = randomUUID();
    const jobs = asGiven(entries);
    const total = chains.reduce((sum, chain) => sum + chain.length, 0);
    const record: BatchRecord = {
      id,
      name: options.name ?? '',
      totalJobs: total,
      pendingJobs: total,
      failedJobs: 0,
      failedJobIds: [],
      options: {},
      createdAt: Date.now(),
      cancelledAt: null,
      finishedAt: null,
    };
    this.#kept.set(id, { entry: { id, jobs, name: options.name, options }, record });
    return new Batch(record, this);
  }

  async add(id: string, entries: readonly BatchEntry[]): Promise<Batch> {
    const kept = this.#kept.get(id);
    if (kept === undefined) throw BatchNotFoundError.withId(id);
    const chains = batchChains(entries);
    kept.entry.jobs.push(...asGiven(entries));
    const added = chains.reduce((sum, chain) => sum + chain.length, 0);
    const { totalJobs, pendingJobs } = kept.record;
    kept.record = { ...kept.record, totalJobs: totalJobs + added, pendingJobs: pendingJobs + added };
    return new Batch(kept.record, this);
  }

  async cancel(id: string): Promise<void> {
    const kept = this.#kept.get(id);
    if (kept === undefined || kept.record.cancelledAt !== null) return;
    const now = Date.now();
    kept.record = { ...kept.record, cancelledAt: now, finishedAt: kept.record.finishedAt ?? now };
  }

  async find(id: string): Promise<Batch | undefined> {
    const kept = this.#kept.get(id);
    return kept === undefined ? undefined : new Batch(kept.record, this);
  }

  async delete(id: string): Promise<void> {
    this.#kept.delete(id);
  }
}

/**
 * One line that shows a recorded batch, for failure messages:
 * `'import 42' [ImportRow, ImportRow, [ResizeImage, PublishImage]] onQueue 'imports', onSuccess NotifyImported`.
 */
export function describeBatch(batch: PendingBatchRecord): string {
  const shown = batch.jobs.slice(0, MAX_SHOWN).map((job) => (Array.isArray(job) ? `[${names(job)}]` : name(job)));
  const more = batch.jobs.length > MAX_SHOWN ? `, … ${batch.jobs.length - MAX_SHOWN} more` : '';
  const title = batch.name === undefined ? 'batch' : `batch '${batch.name}'`;
  const settings = describeOptions(batch.options);
  return `${title} [${shown.join(', ')}${more}]${settings === '' ? '' : ` (${settings})`}`;
}

const MAX_SHOWN = 10;

function describeOptions(options: BatchOptions): string {
  const parts: string[] = [];
  if (options.connection !== undefined) parts.push(`onConnection '${options.connection}'`);
  if (options.queue !== undefined) parts.push(`onQueue '${options.queue}'`);
  if (options.allowFailures === true) parts.push('allowFailures');
  for (const kind of ['onSuccess', 'catch', 'finally'] as const) {
    for (const callback of options[kind] ?? []) parts.push(`${kind} ${name(callback)}`);
  }
  return parts.join(', ');
}

function names(jobs: readonly object[]): string {
  return jobs.map(name).join(', ');
}

function name(value: object): string {
  return typeof value === 'function' ? 'a function' : nameOf(value.constructor);
}

// The entries as written, falsy ones (and chains left empty) dropped: a chain stays a list, even of one job.
function asGiven(entries: readonly BatchEntry[]): (object | object[])[] {
  return (entries as readonly unknown[]).flatMap((entry): (object | object[])[] => {
    if (!entry) return [];
    if (!Array.isArray(entry)) return [entry as object];
    const chain = (entry as unknown[]).filter(Boolean) as object[];
    return chain.length === 0 ? [] : [chain];
  });
}
