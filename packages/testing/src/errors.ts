import { describeValue, EpilogueError } from '@epilogue/core';

/**
 * Thrown by `fakeBus()`, `fakeQueue()` and `fakeEvents()` when the same fake is already
 * installed on the application and was not restored.
 */
export class FakeAlreadyInstalledError extends EpilogueError {
  /** @param fake - The function that was called twice (`fakeBus`...). */
  static forFake(fake: string): FakeAlreadyInstalledError {
    return new FakeAlreadyInstalledError(
      'E_FAKE_ALREADY_INSTALLED',
      `${fake}(app) was already called for this application and not restored. Call restore() on ` +
        `the first fake before faking again, or call useFakes() from '@epilogue/testing/jest' so ` +
        'that every fake is restored after each test.',
    );
  }
}

/** Thrown by a fake given options it cannot use (`only` that is not a list of classes...). */
export class InvalidFakeOptionError extends EpilogueError {
  /**
   * @param fake - The fake (`fakeBus`...).
   * @param option - The option's name.
   * @param value - What it was given (for a list, the entry that is not usable).
   * @param expected - What the option takes, with an example.
   */
  static forOption(
    fake: string,
    option: string,
    value: unknown,
    expected = 'a list of classes, such as [SendWelcomeEmail]',
  ): InvalidFakeOptionError {
    return new InvalidFakeOptionError(
      'E_INVALID_FAKE_OPTION',
      `${fake}()'s \`${option}\` option takes ${expected}; got ${describeValue(value)}.`,
    );
  }
}

/** Thrown by an assertion called with arguments it cannot use (not a class, a negative count...). */
export class InvalidExpectationError extends EpilogueError {
  /**
   * @param assertion - The assertion's name.
   * @param what - What the argument should be, with an example.
   * @param value - What it was given.
   */
  static forArgument(assertion: string, what: string, value: unknown): InvalidExpectationError {
    return new InvalidExpectationError(
      'E_INVALID_EXPECTATION',
      `${assertion}() needs ${what}; got ${describeValue(value)}.`,
    );
  }
}

/** Thrown by `request()` when the response arrived but the application's after-response work did not finish. */
export class TerminateTimeoutError extends EpilogueError {
  /**
   * @param request - The request, as `GET /register`.
   * @param timeoutMs - How long it waited.
   * @param inFlight - How many scopes were still in flight.
   */
  static after(request: string, timeoutMs: number, inFlight: number): TerminateTimeoutError {
    return new TerminateTimeoutError(
      'E_TERMINATE_TIMEOUT',
      `The response to ${request} arrived, but ${inFlight} request(s), command(s) or job(s) of the ` +
        `application were still in flight ${timeoutMs} ms later: some after-response work never ` +
        'finished (a promise that never settles?). Fix that work, or raise the `terminateTimeoutMs` ' +
        'option of request() when it is only slow.',
    );
  }

  /**
   * @param timeoutMs - How long `whenIdle()` waited.
   * @param inFlight - How many scopes were still in flight.
   */
  static waiting(timeoutMs: number, inFlight: number): TerminateTimeoutError {
    return new TerminateTimeoutError(
      'E_TERMINATE_TIMEOUT',
      `${inFlight} request(s), command(s) or job(s) of the application were still in flight after ` +
        `${timeoutMs} ms: some after-response work never finished (a promise that never settles?). ` +
        'Fix that work, or raise the `timeoutMs` option of whenIdle() when it is only slow.',
    );
  }
}

/** Thrown by `request()` when the request could not be sent or its response could not be read. */
export class TestRequestFailedError extends EpilogueError {
  /**
   * @param request - The request, as `GET /register`.
   * @param cause - What went wrong.
   */
  static for(request: string, cause: unknown): TestRequestFailedError {
    return new TestRequestFailedError(
      'E_TEST_REQUEST_FAILED',
      `${request} failed before a whole response arrived: ${cause instanceof Error ? cause.message : String(cause)}. ` +
        'Check that the handler answers every request (it must end the response).',
      { cause },
    );
  }
}

/** Thrown by `request()` for a target it cannot serve. */
export class InvalidRequestTargetError extends EpilogueError {
  /** @param value - What was given as the target. */
  static forTarget(value: unknown): InvalidRequestTargetError {
    return new InvalidRequestTargetError(
      'E_INVALID_REQUEST_TARGET',
      'request(app, target) serves a Node request listener (createRequestListener(app, handler), an ' +
        'Express app), an http.Server, a Fastify instance, or { fetch } for a fetch handler ' +
        `(handle(app, handler)); got ${describeValue(value)}.`,
    );
  }
}

/** Thrown by `useFakes()` when there is no `afterEach` to register the restore with. */
export class NoAfterEachError extends EpilogueError {
  constructor() {
    super(
      'E_NO_AFTER_EACH',
      'useFakes() registers an afterEach hook, but there is no global afterEach (Jest, Vitest with ' +
        "globals, Mocha have one). Pass it yourself: useFakes({ afterEach }) with afterEach from 'node:test' " +
        'or your runner, or call restoreFakes() after each test.',
    );
  }
}
