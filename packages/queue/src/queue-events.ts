import { ListenerRegistry } from '@epilogue/core';

/** A unique job that was not pushed, because an equal one holds its lock. */
export interface JobSkipped {
  /** The job that was not pushed. */
  readonly job: object;
  /** The connection it was dispatched to. */
  readonly connection: string;
  /** The unique lock it found held (`unique:<job name>:<uniqueId>`). */
  readonly key: string;
}

/** The events of a `QueueManager` and what their listeners receive. */
export interface QueueEventMap {
  /** A unique job was dispatched while an equal one held its lock: it was not pushed, and `dispatch()` resolved to `null`. */
  skipped: JobSkipped;
}

/** A listener of one queue manager event. */
export type QueueEventListener<E extends keyof QueueEventMap> = (event: QueueEventMap[E]) => void;

/** The events of one queue manager; emitting costs a number check when nobody listens. */
export class QueueEvents extends ListenerRegistry<QueueEventMap> {}
