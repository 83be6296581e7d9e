import { describeValue, EpilogueError } from '@epilogue/core';

/** Thrown (as a rejection of `dispatch()` or `add()`, or by an option) when a batch is not built as it must be. */
export class InvalidBatchError extends EpilogueError {
  /** @param value - What was given instead of a list of jobs. */
  static notAList(value: unknown): InvalidBatchError {
    return new InvalidBatchError(
      'E_INVALID_BATCH',
      `bus.batch() and batch.add() take a list of job instances (a nested list is a chain); got ${describeValue(value)}.`,
    );
  }

  /** @param path - Where in the list. */
  static entry(value: unknown, path: string): InvalidBatchError {
    return new InvalidBatchError(
      'E_INVALID_BATCH',
      `Entry ${path} of the batch is ${describeValue(value)}: a batch takes job instances, and lists of job ` +
        'instances for chains ([[first, second], other]). Falsy entries are dropped.',
    );
  }

  /** @param option - The option (`onSuccess`, `catch`, `finally`). */
  static callback(option: string, value: unknown): InvalidBatchError {
    const isClass = typeof value === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(value));
    if (isClass) {
      const name = (value as { name?: string }).name || 'TheJob';
      return new InvalidBatchError(
        'E_INVALID_BATCH',
        `A batch's ${option}() was given the class ${name}; pass an instance of it: .${option}(new ${name}(...)).`,
      );
    }
    return new InvalidBatchError(
      'E_INVALID_BATCH',
      `A batch's ${option}() takes a job instance or, for a batch that runs in this process, a function; ` +
        `got ${describeValue(value)}.`,
    );
  }

  /** @param option - The option (`name`, `onConnection`, `onQueue`, `allowFailures`). */
  static option(option: string, expected: string, value: unknown): InvalidBatchError {
    return new InvalidBatchError('E_INVALID_BATCH', `A batch's ${option}() takes ${expected}; got ${describeValue(value)}.`);
  }

  /** @param value - What was given as an id. */
  static id(value: unknown): InvalidBatchError {
    return new InvalidBatchError('E_INVALID_BATCH', `A batch id is a non-empty string; got ${describeValue(value)}.`);
  }
}

/** Thrown (as a rejection) by `add()` on a batch that is no longer in the store. */
export class BatchNotFoundError extends EpilogueError {
  /** @param id - The batch's id. */
  static withId(id: string): BatchNotFoundError {
    return new BatchNotFoundError(
      'E_BATCH_NOT_FOUND',
      `There is no batch with the id ${id} in the batch store: it was deleted or pruned, or it lives in ` +
        'another store (give every process the same store, such as a RedisBatchStore).',
    );
  }
}

/**
 * Thrown (as a rejection of `dispatch()`) when a batch that goes through a queue has a function
 * as a callback: a function cannot reach the worker that finishes the batch.
 */
export class BatchCallbackNotQueueableError extends EpilogueError {
  /** @param option - The option the function was given to. */
  static forFunction(option: string, handler: unknown): BatchCallbackNotQueueableError {
    return new BatchCallbackNotQueueableError(
      'E_BATCH_CALLBACK_NOT_QUEUEABLE',
      `This batch goes through a queue, so its ${option}() cannot be a function (${describeValue(handler)}): a ` +
        'function cannot travel to the worker that finishes the batch. Pass a registered job instead, such ' +
        `as .${option}(new NotifyImported(importId)); it can read the batch with \`await this.batch()\`.`,
    );
  }

  /** For a queue resolver that cannot write callback jobs (one set without `configureQueues()`). */
  static noCodec(): BatchCallbackNotQueueableError {
    return new BatchCallbackNotQueueableError(
      'E_BATCH_CALLBACK_NOT_QUEUEABLE',
      'This batch goes through a queue, but nothing can write its callback jobs: queues set up without ' +
        'configureQueues() give the bus no payload codec. Configure queues with configureQueues(app, ...).',
    );
  }
}

/**
 * Why a chain stopped at a batch that was cancelled without a job failing (with `cancel()`, or
 * after failures it allowed): what the chain's catch handlers receive, and what an in-process
 * chain's `dispatch()` rejects with.
 */
export class ChainedBatchCancelledError extends EpilogueError {
  /**
   * @param id - The batch's id.
   * @param name - The batch's name, or `''`.
   */
  static forBatch(id: string, name: string): ChainedBatchCancelledError {
    const called = name === '' ? '' : ` ("${name}")`;
    return new ChainedBatchCancelledError(
      'E_CHAINED_BATCH_CANCELLED',
      `The batch ${id}${called} of a chain was cancelled, so the jobs after it in the chain do not run. ` +
        'A chain goes on after a batch only when the batch was not cancelled.',
    );
  }
}
