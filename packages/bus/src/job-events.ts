import { ListenerRegistry } from '@epilogue/core';

/** How a job was handed to the dispatcher. */
export type DispatchMode = 'now' | 'sync' | 'after-response' | 'queue';

/** The job lifecycle events and what their listeners receive. */
export interface JobEventMap {
  /** A job was handed to the dispatcher (before it runs or is queued). */
  dispatched: { job: object; mode: DispatchMode };
  /** A job is about to run in this process. */
  processing: { job: object };
  /** A job ran and returned. */
  processed: { job: object; result: unknown };
  /** A job threw or rejected. */
  failed: { job: object; error: unknown };
}

/** A listener of one job lifecycle event. */
export type JobEventListener<E extends keyof JobEventMap> = (event: JobEventMap[E]) => void;

/**
 * The job lifecycle events of one dispatcher. Emitting costs one number check when nobody
 * listens, so the events are always on.
 */
export class JobEvents extends ListenerRegistry<JobEventMap> {}
