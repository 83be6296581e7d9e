import type { Application } from '@epilogue/core';
import { isJob, jobName } from '../job-value.js';
import type { ChainCatchJob, ChainFailure } from './chain-failure.js';
import type { ChainDispatcher } from './chain-dispatcher.js';
import type { ChainCatch, ChainCatchCallback } from './chain-options.js';

/**
 * Runs a chain's catch handlers, once a job of it failed for good: functions are called with
 * the error and the failure; jobs get the failure in their `chainFailure` field and are
 * dispatched. Each is isolated: one that throws is reported, the next still runs.
 *
 * @param failure - The failure, as data.
 * @param error - The error itself (for functions; in this process).
 */
export async function runChainCatch(
  dispatcher: Pick<ChainDispatcher, 'dispatch'>,
  app: Application,
  handlers: readonly ChainCatch[],
  failure: ChainFailure,
  error: unknown,
): Promise<void> {
  for (const handler of handlers) {
    try {
      if (typeof handler === 'function') {
        await (handler as ChainCatchCallback)(error, failure);
      } else {
        (handler as ChainCatchJob).chainFailure = failure;
        await dispatcher.dispatch(handler);
      }
    } catch (catchError) {
      reportChainError(app, catchError, 'chain-catch', [failure.job]);
    }
  }
}

/**
 * Reports a chain's failure that nobody can receive, naming its jobs.
 *
 * @param phase - `dispatch` or `chain-catch`.
 * @param jobs - The chain's jobs (or whatever was given as them).
 */
export function reportChainError(app: Application, error: unknown, phase: string, jobs: unknown): void {
  const names = Array.isArray(jobs) ? jobs.map((job: unknown) => (isJob(job) ? jobName(job) : String(job))) : [];
  app.report(error, { ...app.currentScope().reportContext(phase), job: names.join(' → ') });
}
