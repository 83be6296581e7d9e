/**
 * The base of every error Epilogue throws on a path a user can reach.
 *
 * Each error carries a stable `code` (for example `E_NO_APPLICATION`) that programs can branch
 * on, a message that says what to do, and the original error as `cause` when there was one.
 */
export class EpilogueError extends Error {
  /** A stable, machine-readable code: `E_` followed by the condition. */
  readonly code: string;

  /**
   * @param code - The stable code of the condition.
   * @param message - What happened and what to do about it.
   * @param options - The underlying error, kept as `cause`.
   */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Thrown by `Application.getInstance()` and the static helpers when no application exists yet. */
export class NoApplicationError extends EpilogueError {
  constructor() {
    super(
      'E_NO_APPLICATION',
      'No Epilogue application exists yet. Create one with `new Application()` before using ' +
        'static helpers such as `Job.dispatch()` or `defer()`.',
    );
  }
}

/** Thrown when a pipe in a `Pipeline` is neither a function, an object with the pipeline's method, nor a class. */
export class InvalidPipeError extends EpilogueError {
  /**
   * @param pipe - The value that was given as a pipe.
   * @param method - The method the pipeline calls on object and class pipes.
   */
  static forPipe(pipe: unknown, method: string): InvalidPipeError {
    return new InvalidPipeError(
      'E_INVALID_PIPE',
      `A pipe must be a function (passable, next) => ..., an object with a "${method}" method, ` +
        `or a class whose instances have one; got ${describe(pipe)}.`,
    );
  }
}

/** Thrown (as a rejection) when a pipe calls `next` more than once. */
export class NextCalledTwiceError extends EpilogueError {
  /** @param pipe - A readable name of the pipe that misbehaved. */
  static inPipe(pipe: string): NextCalledTwiceError {
    return new NextCalledTwiceError(
      'E_NEXT_CALLED_TWICE',
      `The pipe ${pipe} called next() more than once. A pipe may call next() at most once; ` +
        'keep its result and return it instead of calling again.',
    );
  }
}

/** Reported by `app.shutdown()` for work that had not finished when the timeout ran out. */
export class ShutdownTimeoutError extends EpilogueError {
  /**
   * @param timeoutMs - The timeout that ran out.
   * @param pending - Readable names of the callbacks that had not run or not finished.
   */
  static after(timeoutMs: number, pending: string[]): ShutdownTimeoutError {
    const list = pending.length > 0 ? `: ${pending.join(', ')}` : '.';
    return new ShutdownTimeoutError(
      'E_SHUTDOWN_TIMEOUT',
      `Shutdown gave up after ${timeoutMs} ms with ${pending.length} after-response callback(s) ` +
        `not finished${list} Raise the shutdown timeout, or send long work to a durable queue.`,
    );
  }
}

/** Thrown by a terminating or deferred callback registration that is not a function. */
export class InvalidCallbackError extends EpilogueError {
  /** @param what - Which registration received it (`terminating`, `defer`). */
  static forRegistration(what: string, value: unknown): InvalidCallbackError {
    return new InvalidCallbackError(
      'E_INVALID_CALLBACK',
      `${what}() needs a function; got ${describe(value)}.`,
    );
  }
}

/** Reported by `runCommand()` when a command returns a number that is not an exit code. */
export class InvalidExitCodeError extends EpilogueError {
  /** @param value - What the command returned. */
  static forValue(value: number): InvalidExitCodeError {
    return new InvalidExitCodeError(
      'E_INVALID_EXIT_CODE',
      `A command returned ${value}, which is not an exit code. Return an integer from 0 to 255 ` +
        '(0 for success), or nothing.',
    );
  }
}

/** A short, readable description of any value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'function') return value.name ? `function ${value.name}` : 'an anonymous function';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  return `${typeof value} ${String(value)}`;
}
