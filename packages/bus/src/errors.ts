import { describe, EpilogueError } from '@epilogue/core';

/** Thrown when a job has no handler: no `map()` entry and no `handle()`/`__invoke()` of its own. */
export class HandlerNotFoundError extends EpilogueError {
  /** @param job - The job that could not be handled. */
  static forJob(job: object): HandlerNotFoundError {
    const name = job.constructor?.name ?? 'the job';
    return new HandlerNotFoundError(
      'E_HANDLER_NOT_FOUND',
      `${name} has no handler. Give it a handle() or __invoke() method, or map it to a handler ` +
        `class with dispatcher.map(new Map([[${name}, ${name}Handler]])).`,
    );
  }
}

/** Thrown when something that is not a job object is dispatched. */
export class InvalidJobError extends EpilogueError {
  /** @param value - What was dispatched. */
  static forValue(value: unknown): InvalidJobError {
    return new InvalidJobError(
      'E_INVALID_JOB',
      `Only objects can be dispatched (an instance of a job class); got ${describe(value)}.`,
    );
  }
}

/** Thrown when a handler's method parameters cannot be resolved from the container. */
export class UnresolvableParameterError extends EpilogueError {
  /**
   * @param owner - The class whose method is called.
   * @param method - The method (`handle` or `__invoke`).
   * @param index - Which parameter.
   * @param reason - Why it cannot be resolved.
   */
  static at(owner: string, method: string, index: number, reason: string): UnresolvableParameterError {
    return new UnresolvableParameterError(
      'E_UNRESOLVABLE_PARAMETER',
      `Parameter ${index} of ${owner}.${method}() cannot be resolved: ${reason}. Put @autowire() ` +
        `on the method so TypeScript records its parameter types, or name the tokens with ` +
        `@autowire(Mailer, 'config').`,
    );
  }
}

/** Thrown when a handler given to `map()` is neither a class, an object with a handler method, nor a function. */
export class InvalidHandlerError extends EpilogueError {
  /** @param job - The job class it was mapped for. */
  static forMapping(job: string, handler: unknown): InvalidHandlerError {
    return new InvalidHandlerError(
      'E_INVALID_HANDLER',
      `The handler mapped for ${job} must be a class or object with handle() or __invoke(), or a ` +
        `function; got ${describe(handler)}.`,
    );
  }
}
