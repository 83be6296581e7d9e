/**
 * What a chain's catch job learns about the failure. It is plain data because the catch job may
 * run on another machine, where the error object itself cannot follow it.
 */
export interface ChainFailure {
  /** The failed job's display name (its `displayName()` on a queue, else its class name). */
  readonly job: string;
  /** The failed job's id on its queue connection; absent for a chain that ran in this process. */
  readonly id?: string;
  /** The error the job failed with: its name, message and, for an `EpilogueError`, its code. */
  readonly error: { readonly name: string; readonly message: string; readonly code?: string };
}

/**
 * A job used as a chain's catch: before it is dispatched, the chain sets its `chainFailure`.
 * Declare `implements ChainCatchJob` to have the field typed.
 *
 * @example
 * \@ShouldQueue()
 * class ReportImportFailure extends Job implements ChainCatchJob {
 *   chainFailure?: ChainFailure;
 *   constructor(public importId: number) { super(); }
 *   handle() { alerts.send(`import ${this.importId}: ${this.chainFailure?.error.message}`); }
 * }
 */
export interface ChainCatchJob {
  /** Why the chain stopped: set when the chain fails, before the job is dispatched. */
  chainFailure?: ChainFailure;
}

/**
 * The failure of a chain's job, as data a catch job can carry through a queue.
 *
 * @param job - The failed job's display name.
 * @param error - What it failed with.
 * @param id - Its id on its queue connection, when it ran from one.
 * @returns The failure.
 */
export function chainFailure(job: string, error: unknown, id?: string): ChainFailure {
  const described =
    error instanceof Error
      ? { name: error.name, message: error.message }
      : { name: typeof error, message: String(error) };
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return {
    job,
    ...(id === undefined ? {} : { id }),
    error: typeof code === 'string' ? { ...described, code } : described,
  };
}
