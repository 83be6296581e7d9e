import type { QueuedJobOptions } from '@epilogue/queue';
import { describeValue, type Pipe } from '@epilogue/core';

/**
 * What a queued listener (a class marked `@ShouldQueue()`) may declare. It is built in the
 * dispatching process to read them, then again on the worker to handle the event. Declare
 * `implements QueuedListenerOptions<OrderShipped>` to have them type-checked.
 *
 * @example
 * \@ShouldQueue()
 * class SendShipmentEmail implements QueuedListenerOptions<OrderShipped> {
 *   queue = 'mail';
 *   tries = 3;
 *   backoff = [10, 60];
 *   shouldQueue(event: OrderShipped) { return event.notify; }
 *   async handle(event: OrderShipped) { await mailer.send(event.orderId); }
 *   failed(event: OrderShipped, error: unknown) { alerts.notify(event.orderId, error); }
 * }
 */
export interface QueuedListenerOptions<E = unknown>
  extends Omit<QueuedJobOptions, 'tries' | 'backoff' | 'retryUntil'> {
  /** How many attempts the listener may take (0: no limit), or a method of the event that says. Default: 1. */
  tries?: number | ((event: E) => number);
  /** Seconds before a retry, one number or a list indexed by attempt, or a method of the event that says. */
  backoff?: number | readonly number[] | ((event: E) => number | readonly number[]);
  /** A time after which the listener is not retried any more, or a method of the event that says; beats `tries`. */
  retryUntil?: Date | ((event: E) => Date);
  /** The queue connection to push to; the default one when absent. `viaConnection(event)` beats it. */
  connection?: string;
  /** The queue to push to. `viaQueue(event)` beats it. */
  queue?: string;
  /** Seconds to wait on the queue before the listener may run. `withDelay(event)` beats it. */
  delay?: number;
  /** The connection to push to for this event, as Laravel's `viaConnection()`; beats `connection`. */
  viaConnection?(event: E): string | undefined;
  /** The queue to push to for this event, as Laravel's `viaQueue()`; beats `queue`. */
  viaQueue?(event: E): string | undefined;
  /** Seconds to wait on the queue for this event, as Laravel's `withDelay()`; beats `delay`. */
  withDelay?(event: E): number | undefined;
  /**
   * Job middleware around the listener, as a job's `middleware()`: called on the worker, with
   * the event, each time the listener's job runs; the pipes receive the listener's job.
   */
  middleware?(event: E): readonly unknown[];
  /** Whether to queue the listener for this event at all; `false` skips it. */
  shouldQueue?(event: E): boolean | Promise<boolean>;
  /**
   * `true`: queued inside a database transaction, the listener's job waits for the commit and is
   * dropped on rollback. `false`: pushed at once even on a connection with `afterCommit: true`.
   */
  afterCommit?: boolean;
  /** Called once, on the worker, when the listener failed for good. */
  failed?(event: E, error: unknown): unknown;
}

/** The job options a queued listener's job carries, read from the listener. */
export type ListenerJobOptions = Pick<
  QueuedListenerOptions,
  'connection' | 'queue' | 'delay' | 'maxExceptions' | 'timeout' | 'failOnTimeout' | 'afterCommit'
> & { tries?: number; backoff?: number | readonly number[]; retryUntil?: Date };

const COPIED = ['connection', 'queue', 'delay', 'maxExceptions', 'timeout', 'failOnTimeout', 'afterCommit'] as const;

// As in Laravel, these may be methods, called with the event when it is dispatched.
const COMPUTED = ['tries', 'backoff', 'retryUntil'] as const;

// A queued listener's methods that say where and when its job goes, as in Laravel: each beats
// the field it names.
const ROUTING = [
  ['viaConnection', 'connection'],
  ['viaQueue', 'queue'],
  ['withDelay', 'delay'],
] as const;

/**
 * Reads the queue options of a queued listener, or of a queued event, for its job.
 * `tries()`, `backoff()` and `retryUntil()` methods are called now, on their owner, with `args`
 * (a listener's event), as Laravel calls them, and so are `viaConnection()`, `viaQueue()` and
 * `withDelay()`, whose answers beat the `connection`, `queue` and `delay` fields: the job
 * carries the values. The queue checks the other values when the job is written.
 *
 * @param source - The listener or event instance.
 * @param invalid - Builds the error for an unusable `connection`, `queue` or `delay`, or an
 *   option declared as a method that may not be one (or the other way round).
 * @param args - What the methods are called with: the event, or the name and the event for a wildcard.
 * @returns The options that are set.
 * @throws What `invalid` builds, for a `connection` or `queue` that is not a name, a bad `delay`,
 *   or a `middleware` that is not a method.
 */
export function readQueueOptions(
  source: object,
  invalid: (detail: string) => Error,
  args: readonly unknown[] = [],
): ListenerJobOptions {
  const declared = source as Record<string, unknown>;
  const options: Record<string, unknown> = {};
  for (const option of COPIED) {
    const value = declared[option];
    if (typeof value === 'function') {
      throw invalid(
        `${option} must be a value, not a method (only tries(), backoff(), retryUntil(), viaConnection(), ` +
          'viaQueue() and withDelay() may be methods).',
      );
    }
    if (value !== undefined) options[option] = value;
  }
  const from: Record<string, string> = {};
  for (const [method, option] of ROUTING) {
    const declaredMethod = declared[method];
    if (declaredMethod === undefined) continue;
    if (typeof declaredMethod !== 'function') {
      throw invalid(`${method} must be a method, ${method}(event), not a value; for a fixed one, declare \`${option}\`.`);
    }
    const value: unknown = (declaredMethod as (...args: unknown[]) => unknown).apply(source, [...args]);
    if (value === undefined) continue;
    options[option] = value;
    from[option] = `${method}() must return`;
  }
  // The queue checks the other options when it writes the job, naming them; these two it checks
  // only when it pushes, naming the job's class, so they are checked here.
  for (const name of ['connection', 'queue'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw invalid(`${from[name] ?? `${name} must be`} a non-empty name; got ${describeValue(value)}.`);
    }
  }
  const { delay } = options;
  if (delay !== undefined && !(typeof delay === 'number' && Number.isFinite(delay) && delay >= 0)) {
    throw invalid(`${from.delay ?? 'delay must be'} seconds ≥ 0; got ${describeValue(delay)}.`);
  }
  const { middleware } = declared;
  if (middleware !== undefined && typeof middleware !== 'function') {
    throw invalid(`middleware must be a method, middleware(event), returning a list of job middleware; got ${describeValue(middleware)}.`);
  }
  for (const option of COMPUTED) {
    const method = declared[option];
    const value = typeof method === 'function' ? (method as (...args: unknown[]) => unknown).apply(source, [...args]) : method;
    if (value !== undefined) options[option] = value;
  }
  return options as ListenerJobOptions;
}

/**
 * The job middleware a queued listener (or a queued event) declares for one run: what its
 * `middleware(...args)` returns, or none.
 *
 * @param listener - The listener instance, or the event.
 * @param args - The event, or the name and the event for a wildcard.
 * @param invalid - Builds the error for a `middleware()` that did not return a list.
 * @returns The middleware, outermost first.
 * @throws What `invalid` builds.
 */
export function declaredMiddleware(
  listener: object,
  args: readonly unknown[],
  invalid: (detail: string) => Error,
): readonly Pipe<object>[] {
  const method = (listener as { middleware?: unknown }).middleware;
  if (typeof method !== 'function') return [];
  const list: unknown = (method as (...args: unknown[]) => unknown).apply(listener, [...args]);
  if (!Array.isArray(list)) {
    throw invalid(`middleware() must return a list of job middleware; got ${describeValue(list)}.`);
  }
  return list as readonly Pipe<object>[];
}

/**
 * Asks a queued listener's `shouldQueue()`, when it has one, whether to handle the event.
 *
 * @param listener - The listener instance.
 * @param args - The event, or the name and the event for a wildcard.
 * @returns False when `shouldQueue()` answered with a falsy value.
 */
export async function wantsEvent(listener: object, args: readonly unknown[]): Promise<boolean> {
  const test = (listener as { shouldQueue?: (...args: unknown[]) => unknown }).shouldQueue;
  if (typeof test !== 'function') return true;
  return Boolean(await test.apply(listener, [...args]));
}
