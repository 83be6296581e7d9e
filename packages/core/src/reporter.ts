/**
 * Where a failure happened, handed to the error reporter with the error.
 *
 * `phase` says which part of the lifecycle failed (`terminating`, `deferred`, `request`,
 * `dispatch`, `command`, `shutdown`); adapters and the bus add what they know, such as the
 * request's method and URL or the job's name.
 */
export interface ErrorContext {
  /** The lifecycle phase in which the error was caught. */
  phase: string;
  /** The kind of scope that was running: `http`, `console`, `job` or `root`. */
  scope?: string;
  /** Anything else the reporter should know (request, job, callback name...). */
  [key: string]: unknown;
}

/** Receives every error Epilogue catches instead of letting it crash the process. */
export type ErrorReporter = (error: unknown, context: ErrorContext) => void;

/** The default reporter: one `console.error` line with the context, then the error. */
export const consoleReporter: ErrorReporter = (error, context) => {
  console.error(`[epilogue] ${context.phase} failed`, context, error);
};
