import { resolveDependency, type Constructor, type DependencyContainer } from '@epilogue/core';
import { callWithDependencies } from './autowire.js';
import { HandlerNotFoundError, InvalidHandlerError } from './errors.js';

/** A handler for a job class: a class (built by the container), an object, or a function of the job. */
export type Handler = Constructor | object | ((job: never) => unknown);

/** The method the bus calls on a job or handler: `handle`, else `__invoke`. */
export function handlerMethod(target: object): 'handle' | '__invoke' | undefined {
  const methods = target as { handle?: unknown; __invoke?: unknown };
  if (typeof methods.handle === 'function') return 'handle';
  if (typeof methods.__invoke === 'function') return '__invoke';
  return undefined;
}

/**
 * Runs a job with its mapped handler: a class is resolved from the container (constructor
 * injection) and called with the job; a function is called with the job.
 */
export function callMappedHandler(handler: Handler, job: object, container: () => DependencyContainer): unknown {
  if (typeof handler === 'function' && handlerMethod(handler.prototype ?? {}) === undefined) {
    return (handler as (job: object) => unknown)(job);
  }
  const instance =
    typeof handler === 'function'
      ? resolveDependency(container(), handler as Constructor, `the handler mapped for ${job.constructor.name}`)
      : handler;
  const method = handlerMethod(instance as object);
  if (method === undefined) throw InvalidHandlerError.forMapping(job.constructor.name, handler);
  return (instance as Record<string, (job: object) => unknown>)[method](job);
}

/** Runs a self-handling job: its own `handle`/`__invoke`, with method parameters from the container. */
export function callSelfHandling(job: object, container: () => DependencyContainer): unknown {
  const method = handlerMethod(job);
  if (method === undefined) throw HandlerNotFoundError.forJob(job);
  return callWithDependencies(job, method, container);
}
