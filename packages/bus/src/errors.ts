import { describeValue, EpilogueError } from '@epilogue/core';

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
      `Only objects can be dispatched (an instance of a job class); got ${describeValue(value)}.`,
    );
  }
}

/**
 * Thrown when a handler's method parameters cannot be resolved from the container: nothing says
 * what they are (`E_UNRESOLVABLE_PARAMETER`), or `@autowire()` is on the method but the build
 * recorded no parameter types (`E_NO_DECORATOR_METADATA`).
 */
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
      `Parameter ${index} of ${owner}.${method}() cannot be resolved: ${reason} (an interface, a ` +
        `primitive or a type that exists only for TypeScript). Name the tokens on the method, one ` +
        `per parameter in order: @autowire(Mailer, 'config').`,
    );
  }

  /**
   * The method takes parameters and carries no `@autowire`.
   *
   * @param owner - The class whose method is called.
   * @param method - The method (`handle` or `__invoke`).
   * @param arity - How many parameters it takes.
   */
  static undeclared(owner: string, method: string, arity: number): UnresolvableParameterError {
    return new UnresolvableParameterError(
      'E_UNRESOLVABLE_PARAMETER',
      `${owner}.${method}() takes ${plural(arity, 'parameter')} but nothing says what to pass. Name ` +
        `them on the method, which works with every compiler: @autowire(Mailer, 'config') (in ` +
        `JavaScript without decorators: autowire(Mailer)(${owner}.prototype, '${method}')). ` +
        `@autowire() without tokens also works where TypeScript records parameter types ` +
        `("experimentalDecorators" and "emitDecoratorMetadata" in tsconfig.json).`,
    );
  }

  /**
   * `@autowire()` without tokens is on the method, but no parameter types were recorded.
   *
   * @param owner - The class whose method is called.
   * @param method - The method (`handle` or `__invoke`).
   * @param arity - How many parameters it takes.
   * @param standard - Whether it ran as a standard (TC39) decorator.
   */
  static noMetadata(owner: string, method: string, arity: number, standard: boolean): UnresolvableParameterError {
    const why = standard
      ? 'it ran as a standard (TC39) decorator, and those record no parameter types'
      : 'this build emits no decorator metadata (tsx, esbuild, Bun and other esbuild-based runners ' +
        'never do; tsc needs "emitDecoratorMetadata": true, SWC jsc.transform.decoratorMetadata)';
    return new UnresolvableParameterError(
      'E_NO_DECORATOR_METADATA',
      `@autowire() is on ${owner}.${method}(), which takes ${plural(arity, 'parameter')}, but no ` +
        `parameter types were recorded: ${why}. Name the tokens, which works with every compiler: ` +
        `@autowire(Mailer, 'config'), one per parameter in order. Or compile with ` +
        `"experimentalDecorators": true and "emitDecoratorMetadata": true in tsconfig.json.`,
    );
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Thrown when a handler given to `map()` is neither a class, an object with a handler method, nor a function. */
export class InvalidHandlerError extends EpilogueError {
  /** @param job - The job class it was mapped for. */
  static forMapping(job: string, handler: unknown): InvalidHandlerError {
    return new InvalidHandlerError(
      'E_INVALID_HANDLER',
      `The handler mapped for ${job} must be a class or object with handle() or __invoke(), or a ` +
        `function; got ${describeValue(handler)}.`,
    );
  }
}

/** Thrown (as a rejection of `dispatch()`, or by `catch()`) when a chain is not built as it must be. */
export class InvalidChainError extends EpilogueError {
  static empty(): InvalidChainError {
    return new InvalidChainError(
      'E_INVALID_CHAIN',
      'A chain needs at least one job: dispatcher.chain([new FirstJob(), new SecondJob()]).',
    );
  }

  /** @param value - What was given instead of a list of jobs. */
  static notAList(value: unknown): InvalidChainError {
    return new InvalidChainError(
      'E_INVALID_CHAIN',
      `chain() and withChain() take a list of job instances; got ${describeValue(value)}.`,
    );
  }

  /** @param value - What was given to `catch()`. */
  static forCatch(value: unknown): InvalidChainError {
    return new InvalidChainError(
      'E_INVALID_CHAIN',
      `A chain's catch() takes a job instance (dispatched when the chain fails, with the failure in ` +
        `its \`chainFailure\` field) or, for a chain that runs in this process, a function; got ${describeValue(value)}.`,
    );
  }

  /** @param job - The name of the job given `chain()` and `afterResponse()`. */
  static afterResponse(job: string): InvalidChainError {
    return new InvalidChainError(
      'E_INVALID_CHAIN',
      `${job} was given both chain() and afterResponse(), but a chain does not run after the response. ` +
        'Dispatch the chain from a job that runs after the response, or queue it.',
    );
  }

  /** @param name - The class given to `catch()`. */
  static forClass(name: string): InvalidChainError {
    return new InvalidChainError(
      'E_INVALID_CHAIN',
      `A chain's catch() was given the class ${name || '(anonymous)'}; pass an instance of it: ` +
        `.catch(new ${name || 'TheJob'}(...)).`,
    );
  }
}

/**
 * Thrown by `job.prependToChain()` and `job.appendToChain()` when there is no chain they can add
 * to: the job is not running from a queue or as a job of a chain that runs in this process, or
 * it belongs to a batch.
 */
export class NotInChainError extends EpilogueError {
  /**
   * @param job - The job's name.
   * @param method - `prependToChain` or `appendToChain`.
   */
  static forJob(job: string, method: string): NotInChainError {
    return new NotInChainError(
      'E_NOT_IN_CHAIN',
      `${job}.${method}() was called while ${job} was not running from a queue or in a chain ` +
        '(it ran with dispatchNow(), dispatchSync() or after the response, outside a chain, or its attempt ' +
        'had ended), so the job would have gone nowhere. Call it from handle() of a queued job, or chain the ' +
        `jobs at dispatch: bus.chain([new ${job}(…), new NextJob(…)]).dispatch().`,
    );
  }

  /**
   * @param job - The job's name.
   * @param method - `prependToChain` or `appendToChain`.
   */
  static inBatch(job: string, method: string): NotInChainError {
    return new NotInChainError(
      'E_CHAIN_IN_BATCH',
      `${job}.${method}() was called on a job of a batch, whose jobs were counted when it was dispatched. ` +
        'Add jobs to the batch instead: `(await this.batch())?.add([new NextJob(…)])`.',
    );
  }
}

/**
 * Thrown (as a rejection of `dispatch()`) when a chain that goes through a queue has a function
 * as its catch: a function cannot reach the worker on which a job of the chain fails.
 */
export class ChainCatchNotQueueableError extends EpilogueError {
  /** @param handler - The function given to `catch()`. */
  static forFunction(handler: (...args: never[]) => unknown): ChainCatchNotQueueableError {
    return new ChainCatchNotQueueableError(
      'E_CHAIN_CATCH_NOT_QUEUEABLE',
      `This chain goes through a queue, so its catch() cannot be a function (${describeValue(handler)}): ` +
        'a function cannot travel to the worker where a job of the chain fails. Pass a job instead, ' +
        'such as .catch(new ReportChainFailure(orderId)): a registered ShouldQueue job, queued with the ' +
        'chain and dispatched once when a job of it fails for good, with the failure in its ' +
        '`chainFailure` field.',
    );
  }
}
