/**
 * What the main thread and the worker threads send each other: one piscina task per delivery,
 * a `MessagePort` per task for the thread's messages (the attempt started; push this job), and
 * the outcome as the task's result. Errors cross as plain data and are rebuilt on arrival, so
 * that the failed store records the job's own error name, code and stack.
 *
 * @module
 * @internal
 */
import type { MessagePort } from 'node:worker_threads';
import type { Delivery, DeliveryOutcome, DriverPushOptions } from '@epilogue/queue/driver';

/** An error as data. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  readonly code?: string;
}

/** What the main thread asks a thread to do with a delivery. */
export interface ThreadTask {
  /** `run`: attempt the job; `lost`: settle an attempt that timed out or crashed. */
  readonly kind: 'run' | 'lost';
  /** The `file:` URL of the app module the thread loads. */
  readonly module: string;
  /** The connection's name in that module's `configureQueues()`. */
  readonly connection: string;
  readonly delivery: Delivery;
  /** For `lost`: whether the attempt timed out, and what ended it. */
  readonly lost?: { readonly timedOut: boolean; readonly error: WireError };
  /** Where the thread's messages go, for this task only. */
  readonly port: MessagePort;
}

/** Asks an idle thread to load the app module now (`start()`); it answers `complete`, or `fail` with why not. */
export interface WarmTask {
  readonly kind: 'warm';
  readonly module: string;
  readonly connection: string;
}

/** A delivery outcome as data. */
export type WireOutcome =
  | { readonly type: 'complete' }
  | { readonly type: 'delete' }
  | { readonly type: 'release'; readonly delayMs: number; readonly exceptions: number }
  | { readonly type: 'fail'; readonly error: WireError };

/** The result of a task. */
export interface ThreadResult {
  readonly outcome: WireOutcome;
  /** The thread that ran it. */
  readonly threadId: number;
}

/** Messages from a thread during a task. */
export type ThreadMessage =
  | { readonly type: 'started'; readonly timeoutMs: number | null; readonly threadId: number }
  | { readonly type: 'push'; readonly seq: number; readonly body: string; readonly options: DriverPushOptions };

/** The main thread's answers to `push` messages. */
export type MainMessage =
  | { readonly type: 'pushed'; readonly seq: number; readonly id: string }
  | { readonly type: 'push-failed'; readonly seq: number; readonly error: WireError };

/** An error (or anything thrown) as data. */
export function toWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: `Non-error thrown: ${String(error)}` };
  const code = (error as { code?: unknown }).code;
  return {
    name: error.name,
    message: error.message,
    stack: error.stack,
    ...(typeof code === 'string' ? { code } : {}),
  };
}

/** An error rebuilt from data, with its name, code and stack. */
export function fromWire(wire: WireError): Error {
  const error = new Error(wire.message) as Error & { code?: string };
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  if (wire.code !== undefined) error.code = wire.code;
  return error;
}

/** An outcome as data; a job's return value stays in the thread (nothing reads it from a queue). */
export function outcomeToWire(outcome: DeliveryOutcome): WireOutcome {
  switch (outcome.type) {
    case 'complete':
      return { type: 'complete' };
    case 'fail':
      return { type: 'fail', error: toWire(outcome.error) };
    default:
      return outcome;
  }
}

/** An outcome rebuilt from data. */
export function outcomeFromWire(wire: WireOutcome): DeliveryOutcome {
  return wire.type === 'fail' ? { type: 'fail', error: fromWire(wire.error) } : wire;
}
