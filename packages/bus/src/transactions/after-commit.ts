import type { Application } from '@epilogue/core';
import { transactionManagerOf } from './transactions.js';

/**
 * What a job, a listener or an event may declare to be dispatched only once the database
 * transaction around its dispatch committed (Laravel's `afterCommit` property). `false` opts out
 * of a connection's `afterCommit: true`, as `beforeCommit()` on a dispatch does.
 */
export interface AfterCommitOption {
  /** `true`: held until the outermost transaction commits, dropped on rollback. `false`: never held. */
  afterCommit?: boolean;
}

/**
 * Holds `dispatch` until the outermost transaction of the current context commits, when one is
 * open; dropped when it rolls back. What `dispatch` throws then is reported with `context`.
 *
 * @param app - The application whose transaction manager and reporter are used.
 * @param dispatch - The dispatch to hold.
 * @param context - What the report names (the job, the event).
 * @returns True when it was held (or dropped), false when no transaction is open: the caller
 *   dispatches now.
 */
export function holdUntilCommit(
  app: Application,
  dispatch: () => unknown,
  context: Record<string, unknown>,
): boolean {
  return transactionManagerOf(app).afterCommit(async () => {
    try {
      await dispatch();
    } catch (error) {
      app.report(error, { ...app.currentScope().reportContext('after-commit'), ...context });
    }
  });
}

/** Whether `value` asks to be held until commit (`afterCommit === true`). */
export function wantsAfterCommit(value: unknown): boolean {
  return (value as AfterCommitOption | null | undefined)?.afterCommit === true;
}

/** A settled promise for held dispatches: they resolve to undefined, as Laravel's return null. */
export const HELD: Promise<undefined> = Promise.resolve(undefined);
