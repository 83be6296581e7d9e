import { NotInChainError } from '../errors.js';
import { assertJob, jobName } from '../job-value.js';

const CONTROL = Symbol.for('epilogue.chainControl');

/**
 * What a running job of a chain adds jobs to its chain through (`job.prependToChain()`,
 * `job.appendToChain()`). Whatever runs the job attaches one for the time it runs: the in-process
 * chain runner, and a queue worker, for which the added jobs go into the payload of the next one.
 */
export interface ChainControl {
  /** Runs `job` right after the running job, before the rest of the chain. */
  prepend(job: object): void;
  /** Runs `job` at the end of the chain. */
  append(job: object): void;
}

/**
 * Gives a job the control of its chain while it runs, or takes it away (`undefined`) once it
 * ran; a symbol key, so it is never serialized.
 */
export function attachChainControl(job: object, control: ChainControl | undefined): void {
  Object.defineProperty(job, CONTROL, { value: control, enumerable: false, configurable: true, writable: true });
}

/**
 * Adds `next` to the chain of `job`, as `prependToChain()` and `appendToChain()` do.
 *
 * @throws {InvalidJobError} When `next` is not a job object.
 * @throws {NotInChainError} When `job` is not running where a chain can go on, or belongs to a batch.
 */
export function addToChain(job: object, next: unknown, where: 'prepend' | 'append'): void {
  const method = where === 'prepend' ? 'prependToChain' : 'appendToChain';
  assertJob(next);
  if (typeof (job as { batchId?: unknown }).batchId === 'string') throw NotInChainError.inBatch(jobName(job), method);
  const control = (job as { [CONTROL]?: ChainControl })[CONTROL];
  if (control === undefined) throw NotInChainError.forJob(jobName(job), method);
  control[where](next);
}
