import { describeValue, EpilogueError } from '@epilogue/core';

/** Thrown by `new WorkerThreadsDriver()` for an option it cannot work with. */
export class InvalidThreadsOptionError extends EpilogueError {
  /**
   * @param option - The option's name.
   * @param expected - What it should be.
   * @param got - What it was.
   */
  static forOption(option: string, expected: string, got: unknown): InvalidThreadsOptionError {
    return new InvalidThreadsOptionError(
      'E_INVALID_THREADS_OPTION',
      `WorkerThreadsDriver's \`${option}\` must be ${expected}; got ${describeValue(got)}.`,
    );
  }

  /**
   * @param given - The `app` option as given.
   * @param path - The file it was looked for at.
   */
  static noModule(given: string, path: string): InvalidThreadsOptionError {
    return new InvalidThreadsOptionError(
      'E_INVALID_THREADS_OPTION',
      `WorkerThreadsDriver's \`app\` names no file: nothing at ${path} (from ${given}). Point it at the ` +
        'built JavaScript module that exports your Application (a path relative to the current ' +
        "directory, or a file: URL such as new URL('./app.js', import.meta.url)).",
    );
  }
}

/**
 * What an attempt fails with when the thread running it ended before the job finished: the job
 * called `process.exit()`, threw where nothing caught it, or ran out of memory. The thread is
 * replaced and the job is handled by its `tries`.
 */
export class ThreadCrashedError extends EpilogueError {
  /**
   * @param job - The job's id.
   * @param cause - What the pool reported.
   */
  static during(job: string, cause: unknown): ThreadCrashedError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new ThreadCrashedError(
      'E_THREAD_CRASHED',
      `The worker thread running job ${job} ended before the job finished (${reason}). The thread was ` +
        'replaced; the job is retried while it has tries left. Look for process.exit(), an error ' +
        'thrown outside the job, or the thread running out of memory.',
      { cause },
    );
  }
}

/**
 * Thrown in a worker thread when the module the thread loaded cannot run the connection's jobs:
 * it does not configure the connection, or configures it with another driver.
 */
export class ThreadModuleError extends EpilogueError {
  /**
   * @param module - The module's URL.
   * @param connection - The connection's name.
   * @param found - What the module configured under that name, if anything.
   */
  static noConnection(module: string, connection: string, found: string): ThreadModuleError {
    return new ThreadModuleError(
      'E_THREAD_MODULE_CONNECTION',
      `The app module ${module} does not configure the "${connection}" connection as a ` +
        `WorkerThreadsDriver for that same module (${found}). Each thread loads this module and runs ` +
        'the jobs through its configureQueues(): give it the same connection, for example ' +
        `{ connections: { ${connection}: new WorkerThreadsDriver({ app: new URL(import.meta.url) }) } }.`,
    );
  }
}

/**
 * Thrown by the driver inside a worker thread for what only the main thread does: consuming, or
 * pushing a job from outside any job the thread runs.
 */
export class NotOnMainThreadError extends EpilogueError {
  /** @param what - What was attempted. */
  static cannot(what: string): NotOnMainThreadError {
    return new NotOnMainThreadError(
      'E_THREADS_NOT_MAIN_THREAD',
      `WorkerThreadsDriver cannot ${what} inside one of its worker threads: the main thread keeps the ` +
        'queue. From a thread, dispatch jobs while a job runs (they are sent to the main thread).',
    );
  }
}

/**
 * Reported when the driver closes with jobs still waiting (delayed, or ready when its
 * `closeTimeoutMs` ran out): they were never run, and a worker-threads queue keeps nothing once
 * the process ends.
 */
export class JobsLeftOnCloseError extends EpilogueError {
  /**
   * @param connection - The connection's name.
   * @param waiting - How many jobs were waiting, ready or delayed, by queue.
   */
  static count(connection: string, waiting: ReadonlyMap<string, number>): JobsLeftOnCloseError {
    const list = [...waiting].map(([queue, count]) => `${count} on "${queue}"`).join(', ');
    return new JobsLeftOnCloseError(
      'E_THREADS_JOBS_LEFT',
      `The "${connection}" worker-threads connection closed with jobs that never ran (${list}): ` +
        'delayed ones, and ready ones when closeTimeoutMs ran out. It keeps jobs in memory only: send ' +
        'work that must survive a restart to a durable connection (Redis), or raise closeTimeoutMs.',
    );
  }
}
