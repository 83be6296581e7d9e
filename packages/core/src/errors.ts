import type { DependencyContainer, InjectionToken } from './container.js';

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
        'static helpers such as `Job.dispatch()`, an event class\'s `dispatch()` or `defer()`.',
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
      `A pipe must be a function (passable, next) => ..., an object with a "${method}" (or "__invoke") ` +
        `method, or a class whose instances have one; got ${describeValue(pipe)}.`,
    );
  }

  /**
   * @param name - The pipe class's name.
   * @param method - The method the pipeline calls on class pipes.
   */
  static forClass(name: string, method: string): InvalidPipeError {
    return new InvalidPipeError(
      'E_INVALID_PIPE',
      `The pipe class ${name || '(anonymous)'} has neither a ${method}() nor an __invoke() method. Give it ` +
        `${method}(passable, next) { /* ... */ return next(passable); }, or an __invoke(passable, next) of the same shape.`,
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
   * @param pending - Readable names of the callbacks that had not run or not finished here.
   * @param spilled - What was sent to the overflow connection instead (see `app.afterResponse`).
   */
  static after(
    timeoutMs: number,
    pending: string[],
    spilled?: { pushed: string[]; wereRunning: string[]; connection: string | undefined },
  ): ShutdownTimeoutError {
    const unfinished = `${pending.length} after-response callback(s) did not finish${pending.length > 0 ? `: ${tally(pending)}` : ''}.`;
    let message: string;
    if (spilled?.connection === undefined) {
      message =
        `Shutdown gave up after ${timeoutMs} ms: ${unfinished} Raise the shutdown timeout, or set ` +
        '`afterResponse.overflow` to a durable queue connection so that unfinished jobs are pushed there.';
    } else {
      const rerun = spilled.wereRunning.length > 0 ? ` (${tally(spilled.wereRunning)} had started here and may run twice: keep such jobs idempotent)` : '';
      message =
        `Shutdown ran out of time after ${timeoutMs} ms: ${spilled.pushed.length} job(s) were pushed to the overflow ` +
        `connection "${spilled.connection}" to run on a worker${rerun}. ${unfinished}` +
        (pending.length > 0 ? ' Those could not be queued (closures, defer() callbacks, unregistered jobs) and were cut short.' : '');
    }
    return new ShutdownTimeoutError('E_SHUTDOWN_TIMEOUT', message);
  }
}

/**
 * About two copies of `@epilogue/core` in one process (two versions installed, or one package
 * resolving its own copy). A second copy shares the first one's scope storage and application
 * registry, so no work is lost, and is announced with a process warning of this type; a copy
 * that cannot share them (an incompatible version) throws it when it is imported.
 */
export class DuplicateCoreError extends EpilogueError {
  /** @param versions - The versions of the copies loaded so far, the first one first. */
  static loaded(versions: readonly string[]): DuplicateCoreError {
    return new DuplicateCoreError(
      'E_DUPLICATE_CORE',
      `${versions.length} copies of @epilogue/core are loaded in this process (versions ${versions.join(', ')}). ` +
        'They share the current scope and the applications, so no work is lost, but their classes differ ' +
        '(`instanceof Application` or `instanceof EpilogueError` fails across copies). Install one: ' +
        '`npm ls @epilogue/core` (or `pnpm why @epilogue/core`) shows what brings each; give every @epilogue/* ' +
        'package the same version and deduplicate (`npm dedupe`).',
    );
  }

  /**
   * @param first - The version of the copy loaded first.
   * @param loading - The version of the copy being loaded.
   */
  static incompatible(first: string, loading: string): DuplicateCoreError {
    return new DuplicateCoreError(
      'E_DUPLICATE_CORE',
      `@epilogue/core ${loading} cannot run next to @epilogue/core ${first}, loaded first in this process: ` +
        'they keep the current scope and the applications in different shapes, and two separate copies would ' +
        'lose work (a request scope of one is invisible to the other). Install one version: `npm ls @epilogue/core` ' +
        'shows what brings each; give every @epilogue/* package the same version.',
    );
  }
}

/** Reported by `app.shutdown()` for a resource (a queue driver, a pool) or an `onShutdown` hook that did not close in time. */
export class CloseTimeoutError extends EpilogueError {
  /** @param resource - The label the resource was registered with. */
  static forResource(resource: string): CloseTimeoutError {
    return new CloseTimeoutError(
      'E_CLOSE_TIMEOUT',
      `Closing ${resource} did not finish within the shutdown timeout; the shutdown went on without it. ` +
        'Check that it can still reach its server (a Redis that went away, say), or raise `timeoutMs` of app.shutdown().',
    );
  }

  /** @param hook - The label the `onShutdown` hook was registered with. */
  static forHook(hook: string): CloseTimeoutError {
    return new CloseTimeoutError(
      'E_CLOSE_TIMEOUT',
      `The onShutdown hook "${hook}" did not settle within the shutdown timeout; the shutdown went on without it. ` +
        'Make the hook resolve once it has closed what it closes (await pool.end(), say), or raise `timeoutMs` of app.shutdown().',
    );
  }
}

/**
 * Reported when the process is about to exit on its own while work registered outside any scope
 * (`dispatchAfterResponse()` or `defer()` in a script) has not run: nothing called `app.terminate()`.
 */
export class PendingAtExitError extends EpilogueError {
  /** @param pending - Readable names of the callbacks that did not run. */
  static forWork(pending: readonly string[]): PendingAtExitError {
    return new PendingAtExitError(
      'E_PENDING_AT_EXIT',
      `The process is exiting with ${pending.length} callback(s) registered outside any scope that never ran: ` +
        `${tally(pending)}. Outside a request, a command or a job, dispatchAfterResponse() and defer() wait for ` +
        'app.terminate(): end the script with `await app.shutdown()` (or `await app.terminate()`), or run the ' +
        'work inside `await app.runInScope(...)`.',
    );
  }
}

// "SendMail ×3, audit" for ["SendMail", "SendMail", "SendMail", "audit"]: a long list stays short.
function tally(labels: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return [...counts].map(([label, count]) => (count > 1 ? `${label} ×${count}` : label)).join(', ');
}

/**
 * Reported, at most once a second, while more after-response callbacks wait than
 * `afterResponse.maxPending` allows and some of them cannot go to the overflow connection.
 */
export class AfterResponseOverloadedError extends EpilogueError {
  /**
   * @param pending - How many callbacks wait.
   * @param maxPending - The limit.
   * @param connection - The overflow connection in use, if any.
   * @param pushFailure - The last error of a push to it, if one failed.
   * @param named - The connection the `overflow` option names, when it is not in use yet.
   */
  static backlog(
    pending: number,
    maxPending: number,
    connection: string | undefined,
    pushFailure?: unknown,
    named?: string,
  ): AfterResponseOverloadedError {
    const head = `${pending} after-response callback(s) wait to start, over afterResponse.maxPending (${maxPending}).`;
    let advice: string;
    if (pushFailure !== undefined) {
      advice = ` Pushing to the overflow connection "${connection}" failed (${messageOf(pushFailure)}); those jobs run here instead.`;
    } else if (connection === undefined && named !== undefined) {
      advice =
        ` afterResponse.overflow names "${named}", but configureQueues() was not called for this application, ` +
        'so nothing can overflow: they are kept in memory. Call configureQueues(app, ...) with that connection.';
    } else if (connection === undefined) {
      advice =
        ' They are kept in memory. Set afterResponse.overflow to a queue connection (and register the job classes) ' +
        'so that jobs beyond the limit go to a worker, or shed load while app.afterResponse.overloaded is true.';
    } else {
      advice =
        ` Jobs registered for the queue go to "${connection}"; the rest (closures, defer() callbacks, jobs ` +
        'not registered) are kept in memory and run here. Register those job classes to let them overflow.';
    }
    return new AfterResponseOverloadedError('E_AFTER_RESPONSE_OVERLOADED', head + advice, { cause: pushFailure });
  }
}

/** Thrown by `new Application()` for an `afterResponse` option out of range. */
export class InvalidAfterResponseOptionError extends EpilogueError {
  /**
   * @param option - The option's name.
   * @param expected - What it takes.
   * @param value - What was given.
   */
  static forOption(option: string, expected: string, value: unknown): InvalidAfterResponseOptionError {
    return new InvalidAfterResponseOptionError(
      'E_INVALID_AFTER_RESPONSE_OPTION',
      `afterResponse.${option} takes ${expected}; got ${describeValue(value)}.`,
    );
  }
}

/** Thrown by an HTTP adapter for a `shedLoad` option it cannot read. */
export class InvalidShedLoadOptionError extends EpilogueError {
  /** @param value - What was given. */
  static forValue(value: unknown): InvalidShedLoadOptionError {
    return new InvalidShedLoadOptionError(
      'E_INVALID_SHED_LOAD_OPTION',
      `shedLoad takes true, false or { retryAfterSeconds } with a whole number of seconds ≥ 1; got ${describeValue(value)}.`,
    );
  }
}

/** Thrown by a terminating or deferred callback registration that is not a function. */
export class InvalidCallbackError extends EpilogueError {
  /** @param what - Which registration received it (`terminating`, `defer`). */
  static forRegistration(what: string, value: unknown): InvalidCallbackError {
    return new InvalidCallbackError(
      'E_INVALID_CALLBACK',
      `${what}() needs a function; got ${describeValue(value)}.`,
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

/**
 * Thrown instead of tsyringe's bare `TypeInfo not known for "X"`: the container was asked for a
 * class it cannot build, because nothing recorded its constructor's parameters.
 */
export class DependencyResolutionError extends EpilogueError {
  /**
   * @param type - The class tsyringe could not build (its name).
   * @param usedBy - What needed it: "parameter 0 of SendWelcomeEmail.handle()".
   * @param cause - tsyringe's error.
   */
  static noTypeInfo(type: string, usedBy: string, cause: unknown): DependencyResolutionError {
    return new DependencyResolutionError(
      'E_NO_TYPE_INFO',
      `The container cannot build ${type}, needed by ${usedBy}: nothing recorded its constructor's ` +
        `parameters. Mark ${type} @injectable() (from @epilogue/core). If its constructor takes ` +
        `parameters and the build emits no decorator metadata (tsx, esbuild, Bun, standard ` +
        `decorators), put @inject(Token) on each of them or register it with ` +
        `app.container.register(${type}, { useFactory: (c) => new ${type}(...) }). If it is ` +
        `@injectable() already, the application has two copies of tsyringe (\`npm ls tsyringe\`): ` +
        `install one, next to @epilogue/core.`,
      { cause },
    );
  }
}

/**
 * Resolves `token` from `container`, turning tsyringe's `TypeInfo not known` into a
 * {@link DependencyResolutionError} that names what needed it and the fix. Any other error (one
 * a constructor threw, say) passes through unchanged.
 *
 * @param container - Where to resolve.
 * @param token - What to resolve.
 * @param usedBy - What needs it, for the message: "parameter 0 of SendWelcomeEmail.handle()".
 * @returns The resolved value.
 * @throws {DependencyResolutionError} When tsyringe knows no constructor parameters of a class.
 */
export function resolveDependency<T>(container: DependencyContainer, token: InjectionToken<T>, usedBy: string): T {
  try {
    return container.resolve(token);
  } catch (error) {
    const missing = /TypeInfo not known for "([^"]*)"/.exec(messageOf(error));
    if (missing === null) throw error;
    throw DependencyResolutionError.noTypeInfo(missing[1] || 'an anonymous class', usedBy, error);
  }
}

/** A short, readable description of any value for error messages. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined (nothing was given)';
  if (value === null) return 'null';
  if (value === '') return 'an empty string';
  if (typeof value === 'function') return value.name ? `function ${value.name}` : 'an anonymous function';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  return `${typeof value} ${String(value)}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
