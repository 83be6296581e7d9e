import type { QueueableJob } from '@epilogue/bus';
import { Application, type Constructor } from '@epilogue/core';
import type { AtomicStore } from '../atomics/atomic-store.js';
import { applicationMemoryStore } from '../atomics/memory-atomic-store.js';
import { queueManager } from '../configure-queues.js';
import { InvalidJobMiddlewareError } from '../errors.js';
import { QueueManager } from '../queue-manager.js';
import { jobRegistry } from '../registry/job-registry.js';
import { queueContext } from '../worker/queue-context.js';

/**
 * The store a job's middleware keeps its state in. From a queue, the store of the job's
 * connection. Run without a queue (`dispatchSync`, `dispatchAfterResponse`), the store of the
 * connection the job would be queued on, so that it shares locks and limits with queued copies;
 * before queues are configured, the application's memory store.
 *
 * @param job - The running job.
 */
export function atomicsFor(job: object): AtomicStore {
  const context = queueContext(job);
  if (context !== undefined) return context.atomics;
  const app = Application.getInstance();
  if (!app.container.isRegistered(QueueManager, true)) return applicationMemoryStore(app);
  return queueManager(app).atomics((job as QueueableJob).connection);
}

/**
 * The name a job's keys start with: what its own `displayName()` answers, when it has one (a
 * queued listener's job answers its listener's name, so that two listeners never share a lock),
 * as Laravel's `WithoutOverlapping` keys by `displayName()`; else the name its class is
 * registered under (the same on every machine, whatever the bundler did to class names), else
 * its class name.
 *
 * @param job - The running job.
 */
export function keyName(job: object): string {
  const method = (job as { displayName?: unknown }).displayName;
  const named: unknown = typeof method === 'function' ? method.call(job) : undefined;
  if (typeof named === 'string' && named !== '') return named;
  const type = job.constructor as Constructor;
  const registry = jobRegistry(Application.getInstance());
  return registry.has(type) ? registry.nameOf(type) : type.name;
}

/**
 * Holds a job back instead of running it: puts it back on its queue after `releaseAfter`
 * seconds, or deletes it when `releaseAfter` is `null`. Run without a queue there is nothing
 * to put it back on, so it is skipped: its handler does not run and the dispatch resolves to
 * `undefined`.
 *
 * @param job - The job.
 * @param releaseAfter - Seconds before it is attempted again, or `null` to delete it.
 */
export function holdBack(job: object, releaseAfter: number | null): undefined {
  const context = queueContext(job);
  if (releaseAfter === null) context?.delete();
  else context?.release(releaseAfter);
  return undefined;
}

/** Milliseconds as seconds for `release()`, rounded up to a whole millisecond so a job never comes back early. */
export function toReleaseSeconds(ms: number): number {
  return Math.ceil(Math.max(ms, 0)) / 1000;
}

/**
 * Checks a number of seconds given to a middleware option.
 *
 * @param middleware - The middleware's name.
 * @param option - The option's name.
 * @param value - The value given.
 * @param positive - Whether 0 is refused too.
 * @returns The value.
 * @throws {InvalidJobMiddlewareError} When it is not a finite number in range.
 */
export function checkSeconds(middleware: string, option: string, value: unknown, positive: boolean): number {
  const valid = typeof value === 'number' && Number.isFinite(value) && (positive ? value > 0 : value >= 0);
  if (!valid) throw InvalidJobMiddlewareError.forOption(middleware, option, positive ? 'seconds > 0' : 'seconds ≥ 0', value);
  return value;
}

/**
 * Checks a key given to a middleware: a string or a number.
 *
 * @throws {InvalidJobMiddlewareError} When it is anything else.
 */
export function checkKey(middleware: string, option: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw InvalidJobMiddlewareError.forOption(middleware, option, 'a string or a number', value);
}

/** A class of errors, as `instanceof` tests it: `TypeError`, or a class of your own. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ErrorClass = abstract new (...args: any[]) => unknown;

/** A test of what a job threw; it receives the job too. */
export type ErrorPredicate<J extends object = object> = (error: unknown, job: J) => boolean;

/**
 * Turns what an option takes to pick errors into one test: a class matches its instances (and
 * its subclasses'), a list of classes any of them, and a function is the test itself.
 *
 * @param middleware - The middleware's name, for the error.
 * @param option - The option's name.
 * @param match - An error class, a list of them, or a predicate.
 * @throws {InvalidJobMiddlewareError} For anything else, or an empty list.
 */
export function errorMatcher<J extends object>(
  middleware: string,
  option: string,
  match: ErrorClass | readonly ErrorClass[] | ErrorPredicate<J>,
): ErrorPredicate<J> {
  if (Array.isArray(match)) {
    const classes = match as readonly unknown[];
    if (classes.length === 0 || !classes.every(isErrorClass)) {
      throw InvalidJobMiddlewareError.forOption(middleware, option, 'a non-empty list of error classes', match);
    }
    return (error) => (classes as readonly ErrorClass[]).some((type) => error instanceof type);
  }
  if (typeof match !== 'function') {
    throw InvalidJobMiddlewareError.forOption(middleware, option, 'an error class, a list of them, or a function of the error', match);
  }
  if (isErrorClass(match)) return (error) => error instanceof (match as ErrorClass);
  return match as ErrorPredicate<J>;
}

// An error class: Error or one derived from it, or any `class` (something may throw other
// objects). A predicate is an arrow function (no prototype) or a plain function.
function isErrorClass(value: unknown): boolean {
  if (typeof value !== 'function') return false;
  const prototype: unknown = value.prototype;
  return value === Error || prototype instanceof Error || /^class[\s{]/.test(Function.prototype.toString.call(value));
}
