import type { ChainFailure } from '../chain/chain-failure.js';
import { isJob } from '../job-value.js';
import type { Batch } from './batch.js';
import type { PendingBatch } from './pending-batch.js';
import { InvalidBatchError } from './batch-errors.js';

/** A falsy entry, dropped from a batch: what makes `[first, condition && second]` work. */
export type Falsy = null | undefined | false | 0 | '';

/** An entry of a batch: a job, a chain (a list of jobs, run in order), or a falsy value (dropped). */
export type BatchEntry = object | readonly (object | Falsy)[] | Falsy;

/** A function run, for a batch that runs in this process, when the batch succeeded or finished. */
export type BatchCallbackFunction = (batch: Batch) => unknown;

/**
 * A function run, for a batch that runs in this process, at the batch's first failure: the
 * batch, the error, and the failure as data (which job, and the error's name, message and code).
 */
export type BatchCatchFunction = (batch: Batch, error: unknown, failure: ChainFailure) => unknown;

/** Which callback a callback job was dispatched as. */
export type BatchCallbackKind = 'onSuccess' | 'catch' | 'finally';

/**
 * The fields the bus sets on the jobs of a batch and on its callback jobs. Declare
 * `implements BatchableJob` to have them typed; `Job` subclasses read the batch with `this.batch()`.
 */
export interface BatchableJob {
  /** The batch the job belongs to (or, for a callback job, the batch it was dispatched for). */
  batchId?: string;
  /** Set on a callback job: which callback it was dispatched as. Such a job is not a job of the batch. */
  batchCallback?: BatchCallbackKind;
  /** Set on a `catch` callback job: the first failure, as data. */
  batchFailure?: ChainFailure;
}

/**
 * The batch a job belongs to as one of its jobs, or undefined (also for callback jobs).
 *
 * @param job - A job.
 */
export function memberBatchId(job: object): string | undefined {
  const { batchId, batchCallback } = job as BatchableJob;
  return typeof batchId === 'string' && batchCallback === undefined ? batchId : undefined;
}

/**
 * Reads a batch's list: falsy entries dropped, each entry a chain of one or more jobs.
 *
 * @throws {InvalidBatchError} For something that is not a list, or an entry that is neither a
 *   job nor a list of jobs.
 */
export function batchChains(entries: unknown): object[][] {
  if (!Array.isArray(entries)) throw InvalidBatchError.notAList(entries);
  const chains: object[][] = [];
  for (const [index, entry] of (entries as unknown[]).entries()) {
    if (!entry) continue;
    if (!Array.isArray(entry)) {
      if (!isJob(entry) || isPendingBatch(entry)) throw InvalidBatchError.entry(entry, `[${index}]`);
      chains.push([entry]);
      continue;
    }
    const chain: object[] = [];
    for (const [inner, job] of (entry as unknown[]).entries()) {
      if (!job) continue;
      if (!isJob(job) || Array.isArray(job) || isPendingBatch(job)) {
        throw InvalidBatchError.entry(job, `[${index}][${inner}]`);
      }
      chain.push(job);
    }
    if (chain.length > 0) chains.push(chain);
  }
  return chains;
}

/**
 * Whether a value is a pending batch (`bus.batch(...)`, not dispatched): a step of a chain, and
 * refused inside a batch (a batch inside a batch is not supported).
 */
export function isPendingBatch(value: unknown): value is PendingBatch {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { allowFailures?: unknown }).allowFailures === 'function' &&
    typeof (value as { onSuccess?: unknown }).onSuccess === 'function'
  );
}
