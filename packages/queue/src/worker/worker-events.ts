import { ListenerRegistry } from '@epilogue/core';

/** How a job's delivery ended, from the worker's point of view. */
export type JobStatus = 'completed' | 'deleted' | 'released' | 'failed';

/** A job the worker started. */
export interface JobStarted {
  /** The job's id on the driver. */
  readonly id: string;
  /** The queue it came from. */
  readonly queue: string;
  /** Which attempt this is, from 1. */
  readonly attempts: number;
  /** The job's display name, or `(unreadable payload)`. */
  readonly name: string;
}

/** A job reported its progress with `this.progress(percent)`. */
export interface JobProgress extends JobStarted {
  /** How far it got, from 0 to 100. */
  readonly percent: number;
}

/** A job the worker finished with: one line of a worker's log. */
export interface JobFinished extends JobStarted {
  /** What happened to it. */
  readonly status: JobStatus;
  /**
   * For a `released` job, how long until it may run again, in milliseconds (its backoff after
   * it threw, or what it asked for with `this.release(delay)`).
   */
  readonly delayMs?: number;
  /** How long the attempt took, in milliseconds. */
  readonly durationMs: number;
  /** What it threw or failed with, if anything. */
  readonly error?: unknown;
}

/** With `stopWhenEmpty`, the worker found nothing ready but waits for a delayed job due soon. */
export interface WorkerWaiting {
  /** When the delayed job it waits for is due, in milliseconds since the epoch. */
  readonly dueAt: number;
}

/** The events of a `Worker` and what their listeners receive. */
export interface WorkerEventMap {
  /** A job was delivered and its payload read: its attempt is about to start. */
  processing: JobStarted;
  /** A running job reported its progress. */
  progress: JobProgress;
  /** A job's attempt ended (completed, deleted, released or failed). */
  processed: JobFinished;
  /**
   * With `stopWhenEmpty`: nothing is ready or running, but a delayed job of its queues is due
   * within `STOP_WHEN_EMPTY_HORIZON_MS`, so the worker waits for it instead of stopping. Emitted
   * once per job waited for.
   */
  waiting: WorkerWaiting;
}

/** A listener of one worker event. */
export type WorkerEventListener<E extends keyof WorkerEventMap> = (event: WorkerEventMap[E]) => void;

/** The events of one worker; emitting costs a number check when nobody listens. */
export class WorkerEvents extends ListenerRegistry<WorkerEventMap> {}
