import { describeValue, EpilogueError } from '@epilogue/core';

/**
 * Thrown at dispatch time when a job holds a value that cannot cross a process boundary: a
 * function, a symbol, circular data, or an instance of a class that is not a registered job.
 * `path` names the field, such as `user.socket`.
 */
export class JobNotSerializableError extends EpilogueError {
  /** The field that could not be serialized, from the job (`user.socket`, `items[2]`). */
  readonly path: string;

  /**
   * @param code - The stable code.
   * @param message - What happened and what to do.
   * @param path - The field's path.
   */
  constructor(code: string, message: string, path: string) {
    super(code, message);
    this.path = path;
  }

  /**
   * @param job - The job's class name.
   * @param path - The field's path.
   * @param reason - What the value is and why it cannot be serialized.
   */
  static at(job: string, path: string, reason: string): JobNotSerializableError {
    return new JobNotSerializableError(
      'E_JOB_NOT_SERIALIZABLE',
      `${job} cannot be queued: the field \`${path}\` ${reason}. A queued job may hold strings, ` +
        'numbers, booleans, null, arrays, plain objects, Dates, Maps, Sets and registered jobs; keep ' +
        'ids in the job and load the rest in handle().',
      path,
    );
  }
}

/** Thrown at dispatch time when a queued job's class is not in the application's job registry. */
export class JobNotRegisteredError extends EpilogueError {
  /** @param name - The class's name. */
  static forClass(name: string): JobNotRegisteredError {
    return new JobNotRegisteredError(
      'E_JOB_NOT_REGISTERED',
      `${name || 'An anonymous class'} is not a registered job class, so a worker could not build it ` +
        `again. Mark it with @ShouldQueue() or register it with registerJobs(app, [${name || 'TheJob'}]).`,
    );
  }
}

/** Thrown when two different classes claim the same job name in one application. */
export class DuplicateJobNameError extends EpilogueError {
  /**
   * @param name - The contested name.
   * @param first - The class already known under it.
   * @param second - The class that claims it too.
   */
  static forName(name: string, first: string, second: string): DuplicateJobNameError {
    return new DuplicateJobNameError(
      'E_DUPLICATE_JOB_NAME',
      `Two different job classes (${first} and ${second}) are both named "${name}", so a worker ` +
        'could not tell which one to build. Give one of them an explicit name: ' +
        `registerJobs(app, { 'billing.${name}': ${second} }) or \`static jobName = '...'\`.`,
    );
  }

  /**
   * @param job - The class.
   * @param current - The name it is registered under.
   * @param wanted - The other name it was given.
   */
  static forClass(job: string, current: string, wanted: string): DuplicateJobNameError {
    return new DuplicateJobNameError(
      'E_DUPLICATE_JOB_NAME',
      `${job} is already registered as "${current}" and cannot also be "${wanted}". A job class has one name.`,
    );
  }
}

/** Why a payload was refused. */
export type PayloadRejection =
  | 'malformed'
  | 'unsupported-version'
  | 'unknown-job'
  | 'forbidden-key'
  | 'too-large'
  | 'bad-signature';

/**
 * Thrown when a payload is refused: it is never executed. A worker sends it to the failed store
 * with this error, and keeps working. `reason` says why, in a word.
 */
export class InvalidPayloadError extends EpilogueError {
  /** Why the payload was refused. */
  readonly reason: PayloadRejection;

  /**
   * @param code - The stable code.
   * @param reason - Why, in a word.
   * @param message - What happened and what to do.
   */
  constructor(code: string, reason: PayloadRejection, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.reason = reason;
  }

  /** @param detail - What is wrong with the payload's shape or JSON. */
  static malformed(detail: string, cause?: unknown): InvalidPayloadError {
    return new InvalidPayloadError(
      'E_PAYLOAD_MALFORMED',
      'malformed',
      `Refused a queued payload: ${detail}. Only payloads written by Epilogue's dispatch() can be run.`,
      { cause },
    );
  }

  /** @param version - The version the payload declares. */
  static unsupportedVersion(version: unknown): InvalidPayloadError {
    return new InvalidPayloadError(
      'E_PAYLOAD_VERSION',
      'unsupported-version',
      `Refused a queued payload of version ${describeValue(version)}; this worker reads version 1. ` +
        'Run workers of the same Epilogue version as the code that dispatches.',
    );
  }

  /**
   * @param name - The job name the payload asks for.
   * @param path - Where in the payload it was asked for.
   */
  static unknownJob(name: string, path: string): InvalidPayloadError {
    return new InvalidPayloadError(
      'E_PAYLOAD_UNKNOWN_JOB',
      'unknown-job',
      `Refused a queued payload: no job class is registered as "${name}" (at \`${path}\`). Import ` +
        'the job (its @ShouldQueue() registers it) or call registerJobs() in the worker process too.',
    );
  }

  /**
   * @param key - The forbidden key (`__proto__`, `constructor` or `prototype`).
   * @param path - Where it was found.
   */
  static forbiddenKey(key: string, path: string): InvalidPayloadError {
    return new InvalidPayloadError(
      'E_PAYLOAD_FORBIDDEN_KEY',
      'forbidden-key',
      `Refused a queued payload: it holds the key "${key}" at \`${path}\`, which could change ` +
        'prototypes. Rename the field.',
    );
  }

  /**
   * @param bytes - The payload's size.
   * @param limit - The configured limit.
   */
  static tooLarge(bytes: number, limit: number): InvalidPayloadError {
    return new InvalidPayloadError(
      'E_PAYLOAD_TOO_LARGE',
      'too-large',
      `A queued payload of ${bytes} bytes exceeds the limit of ${limit} bytes. Keep ids in the job ` +
        'and load large data in handle(), or raise `maxPayloadBytes` in configureQueues().',
    );
  }

  /** @param detail - Whether the signature was missing or wrong. */
  static badSignature(detail: string): InvalidPayloadError {
    return new InvalidPayloadError(
      'E_PAYLOAD_SIGNATURE',
      'bad-signature',
      `Refused a queued payload: ${detail}. It was changed after dispatch, or signed with another ` +
        'key; check that every process uses the same `signingKey`.',
    );
  }
}

/** Thrown at dispatch time when a job option (`tries`, `backoff`, `timeout`...) has an unusable value. */
export class InvalidJobOptionError extends EpilogueError {
  /**
   * @param job - The job's class name.
   * @param option - The option's name.
   * @param expected - What the option should be.
   * @param value - What it is.
   */
  static forOption(job: string, option: string, expected: string, value: unknown): InvalidJobOptionError {
    return new InvalidJobOptionError(
      'E_INVALID_JOB_OPTION',
      `${job}.${option} must be ${expected}; got ${describeValue(value)}.`,
    );
  }
}

/**
 * Thrown by `this.progress(percent)` in a job (`QueuedJob`) when the value is not a number from
 * 0 to 100, wherever the job runs.
 */
export class InvalidJobProgressError extends EpilogueError {
  /**
   * @param job - The job's display name.
   * @param value - What it reported.
   */
  static forValue(job: string, value: unknown): InvalidJobProgressError {
    return new InvalidJobProgressError(
      'E_INVALID_JOB_PROGRESS',
      `${job}.progress() takes a percentage, a number from 0 to 100 such as this.progress(50); got ${describeValue(value)}.`,
    );
  }
}

/**
 * The error a job fails with when it ran out of attempts or its `retryUntil` time passed before
 * its next attempt. A worker reports it (`phase: 'job'`), as Laravel reports its
 * `MaxAttemptsExceededException`, besides passing it to the job's `failed()` hook and the failed store.
 */
export class MaxAttemptsExceededError extends EpilogueError {
  /** The job's display name. */
  readonly job: string;
  /** How many attempts were made before it was failed. */
  readonly attempts: number;

  /**
   * @param code - The stable code.
   * @param message - What happened and what to do.
   * @param job - The job's display name.
   * @param attempts - How many attempts were made.
   */
  constructor(code: string, message: string, job: string, attempts: number) {
    super(code, message);
    this.job = job;
    this.attempts = attempts;
  }

  /**
   * @param job - The job's display name.
   * @param attempts - How many attempts were made.
   */
  static forJob(job: string, attempts: number): MaxAttemptsExceededError {
    return new MaxAttemptsExceededError(
      'E_MAX_ATTEMPTS_EXCEEDED',
      `${job} has been attempted too many times (${attempts}). Raise its \`tries\`, or find why ` +
        'earlier attempts did not finish.',
      job,
      attempts,
    );
  }

  /**
   * @param job - The job's display name.
   * @param attempts - How many attempts were made.
   * @param until - The `retryUntil` time that passed.
   */
  static expired(job: string, attempts: number, until: Date): MaxAttemptsExceededError {
    return new MaxAttemptsExceededError(
      'E_MAX_ATTEMPTS_EXCEEDED',
      `${job} may no longer be retried after ${attempts} attempt(s): its retryUntil time ` +
        `(${until.toISOString()}) has passed.`,
      job,
      attempts,
    );
  }
}

/** The error an attempt fails with when it ran longer than the job's `timeout`. */
export class JobTimedOutError extends EpilogueError {
  /**
   * @param job - The job's display name.
   * @param seconds - The timeout.
   */
  static after(job: string, seconds: number): JobTimedOutError {
    return new JobTimedOutError(
      'E_JOB_TIMED_OUT',
      `${job} ran longer than its timeout of ${seconds} s. Make it faster, raise \`timeout\`, or stop ` +
        'work when the attempt is abandoned (queueContext(job).signal).',
    );
  }
}

/** The error a job fails with when it called `this.fail()` without an error of its own. */
export class JobMarkedFailedError extends EpilogueError {
  /** @param job - The job's display name. */
  static forJob(job: string): JobMarkedFailedError {
    return new JobMarkedFailedError('E_JOB_MARKED_FAILED', `${job} marked itself as failed.`);
  }
}

/** Thrown when queues are used before `configureQueues(app, ...)`. */
export class QueuesNotConfiguredError extends EpilogueError {
  constructor() {
    super(
      'E_QUEUES_NOT_CONFIGURED',
      'No queues are configured for this application. Call configureQueues(app, { default, connections }) first.',
    );
  }
}

/** Thrown when a connection name is not among the configured connections. */
export class UnknownConnectionError extends EpilogueError {
  /**
   * @param name - The name asked for.
   * @param known - The configured names.
   */
  static named(name: string, known: readonly string[]): UnknownConnectionError {
    return new UnknownConnectionError(
      'E_UNKNOWN_CONNECTION',
      `No queue connection is named "${name}". Configured connections: ${known.join(', ') || 'none'}.`,
    );
  }
}

/** Thrown by `configureQueues()` and `new Worker()` for options that cannot work. */
export class InvalidQueueConfigError extends EpilogueError {
  /** @param detail - What is wrong and how to fix it. */
  static because(detail: string): InvalidQueueConfigError {
    return new InvalidQueueConfigError('E_INVALID_QUEUE_CONFIG', detail);
  }
}

/** Thrown by a driver that runs jobs on push (`SyncDriver`) when no application consumes it. */
export class NoConsumerError extends EpilogueError {
  /** @param driver - The driver's class name. */
  static forDriver(driver: string): NoConsumerError {
    return new NoConsumerError(
      'E_NO_CONSUMER',
      `${driver} runs jobs when they are pushed, but nothing consumes it. Configure it as a ` +
        'connection with configureQueues(app, ...), which attaches the application to it.',
    );
  }
}

/** Thrown when a job is pushed to a driver that was closed. */
export class DriverClosedError extends EpilogueError {
  /** @param driver - The driver's class name. */
  static forDriver(driver: string): DriverClosedError {
    return new DriverClosedError('E_DRIVER_CLOSED', `${driver} was closed; it takes no more jobs.`);
  }
}

/**
 * Thrown when a connection's driver lacks an optional capability of the `QueueDriver` contract
 * that was asked for: `clear()` (`queue:clear`, `manager.clear()`).
 */
export class DriverCapabilityError extends EpilogueError {
  /**
   * @param driver - The driver's class name.
   * @param connection - The connection's name.
   * @param capability - The method it lacks, such as `clear()`.
   * @param doing - What it would have done, such as `delete the waiting jobs of a queue`.
   */
  static missing(driver: string, connection: string, capability: string, doing: string): DriverCapabilityError {
    return new DriverCapabilityError(
      'E_DRIVER_UNSUPPORTED',
      `The "${connection}" connection's driver (${driver}) cannot ${doing}: it has no ${capability} method. ` +
        `Use a driver that has one (MemoryDriver, BullMQDriver), or implement ${capability} on this one.`,
    );
  }
}

/** Thrown by `push()` (so by a dispatch) when the queue's store cannot be reached in time. */
export class QueueUnavailableError extends EpilogueError {
  /**
   * @param driver - The driver's class name.
   * @param where - Where it tried to connect, e.g. `Redis at 127.0.0.1:6379`.
   * @param waitedMs - How long it waited.
   * @param cause - The last connection error, if any.
   */
  static unreachable(driver: string, where: string, waitedMs: number, cause?: unknown): QueueUnavailableError {
    // Not `instanceof Error`: a socket error may come from another realm (a test runner's VM).
    const message = (cause as { message?: unknown } | undefined)?.message;
    const last = typeof message === 'string' && message !== '' ? ` (last error: ${message})` : '';
    return new QueueUnavailableError(
      'E_QUEUE_UNAVAILABLE',
      `${driver} could not reach ${where} within ${waitedMs} ms${last}, so the job was not queued. ` +
        'Check that the server runs and that the connection options point at it; catch this error ' +
        'to retry the dispatch or to run the job another way.',
      cause === undefined ? undefined : { cause },
    );
  }
}

/** Thrown by `retry(id)` and `show`-style lookups of a failed job that does not exist. */
export class FailedJobNotFoundError extends EpilogueError {
  /** @param id - The id asked for. */
  static withId(id: string): FailedJobNotFoundError {
    return new FailedJobNotFoundError('E_FAILED_JOB_NOT_FOUND', `No failed job has the id "${id}".`);
  }
}

/** Reported when a worker's graceful stop gave up waiting for running jobs. */
export class WorkerStopTimeoutError extends EpilogueError {
  /**
   * @param timeoutMs - How long the worker waited.
   * @param running - The ids of the jobs still running.
   */
  static after(timeoutMs: number, running: readonly string[]): WorkerStopTimeoutError {
    return new WorkerStopTimeoutError(
      'E_WORKER_STOP_TIMEOUT',
      `The worker stopped waiting after ${timeoutMs} ms with ${running.length} job(s) still running ` +
        `(${running.join(', ')}). Their drivers will deliver them again if they never finish; raise ` +
        '`stopTimeoutMs` to wait longer.',
    );
  }
}

/** Thrown by `worker.run()` when the worker is already running or has run. */
export class WorkerAlreadyStartedError extends EpilogueError {
  constructor() {
    super('E_WORKER_STARTED', 'This worker has already been started. Create a new Worker to run again.');
  }
}

/** Thrown when job middleware (`WithoutOverlapping`, `RateLimited`, `ThrottlesExceptions`) is given an unusable option. */
export class InvalidJobMiddlewareError extends EpilogueError {
  /**
   * @param middleware - The middleware's class name.
   * @param option - The option or argument.
   * @param expected - What it should be.
   * @param value - What it is.
   */
  static forOption(middleware: string, option: string, expected: string, value: unknown): InvalidJobMiddlewareError {
    return new InvalidJobMiddlewareError(
      'E_INVALID_JOB_MIDDLEWARE',
      `${middleware}: \`${option}\` must be ${expected}; got ${describeValue(value)}. Fix the job's middleware().`,
    );
  }
}

/** Thrown when a job runs through `RateLimited(name)` and no rate limiter has that name. */
export class RateLimiterNotFoundError extends EpilogueError {
  /**
   * @param name - The name asked for.
   * @param known - The names defined.
   */
  static named(name: string, known: readonly string[]): RateLimiterNotFoundError {
    return new RateLimiterNotFoundError(
      'E_RATE_LIMITER_NOT_FOUND',
      `No rate limiter is named "${name}" (defined: ${known.join(', ') || 'none'}). Define it with ` +
        `defineRateLimit(app, '${name}', (job) => ({ max, decaySeconds })) in every process that runs the job.`,
    );
  }
}

/** Thrown by `defineRateLimit()` for an unusable definition, and when a rate limiter returns an unusable limit. */
export class InvalidRateLimitError extends EpilogueError {
  /** @param detail - What is wrong and how to fix it. */
  static because(detail: string): InvalidRateLimitError {
    return new InvalidRateLimitError('E_INVALID_RATE_LIMIT', detail);
  }
}
