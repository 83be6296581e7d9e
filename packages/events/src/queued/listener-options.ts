import type { QueuedJobOptions } from '@epilogue/queue';
import { describe } from '@epilogue/core';

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
  /** The queue connection to push to; the default one when absent. */
  connection?: string;
  /** The queue to push to. */
  queue?: string;
  /** Seconds to wait on the queue before the listener may run. */
  delay?: number;
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

/**
 * Reads the queue options of a queued listener, or of a queued event, for its job.
 * `tries()`, `backoff()` and `retryUntil()` methods are called now, on their owner, with `args`
 * (a listener's event), as Laravel calls them: the job carries their values. The queue checks
 * the values when the job is written.
 *
 * @param source - The listener or event instance.
 * @param invalid - Builds the error for an unusable `connection`, `queue` or `delay`, or an
 *   option declared as a method that may not be one.
 * @param args - What the methods are called with: the event, or the name and the event for a wildcard.
 * @returns The options that are set.
 * @throws What `invalid` builds, for a `connection` or `queue` that is not a name, or a bad `delay`.
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
      throw invalid(`${option} must be a value, not a method (only tries(), backoff() and retryUntil() may be methods).`);
    }
    if (value !== undefined) options[option] = value;
  }
  // The queue checks the other options when it writes the job, naming them; these two it checks
  // only when it pushes, naming the job's class, so they are checked here.
  for (const name of ['connection', 'queue'] as const) {
    const value = options[name];
    if (value !== undefined && (typeof value !== 'string' || value === '')) {
      throw invalid(`${name} must be a non-empty name; got ${describe(value)}.`);
    }
  }
  const { delay } = options;
  if (delay !== undefined && !(typeof delay === 'number' && Number.isFinite(delay) && delay >= 0)) {
    throw invalid(`delay must be seconds ≥ 0; got ${describe(delay)}.`);
  }
  for (const option of COMPUTED) {
    const method = declared[option];
    const value = typeof method === 'function' ? (method as (...args: unknown[]) => unknown).apply(source, [...args]) : method;
    if (value !== undefined) options[option] = value;
  }
  return options as ListenerJobOptions;
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
