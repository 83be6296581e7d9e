import type { QueuedChain } from './chain/chain-options.js';

/** Where and when a queued job should run. */
export interface PushOptions {
  /** The queue's name on the connection; the connection's default when omitted. */
  queue?: string;
  /** Seconds to wait before the job may run. */
  delay?: number;
  /**
   * When the job is the first of a chain: the rest of it, which the connection carries with the
   * job and dispatches as each job completes. A connection that cannot carry chains must refuse
   * a push that has one rather than drop it.
   */
  chain?: QueuedChain;
}

/**
 * A queue connection: where `dispatch()` sends jobs marked `ShouldQueue`. Queue drivers
 * (sync, memory, Redis) implement it.
 */
export interface QueueConnection {
  /**
   * Pushes a job.
   *
   * @returns The queued job's id, or for a connection that runs jobs at once, the job's result.
   */
  push(job: object, options: PushOptions): Promise<unknown>;
}

/** Finds a queue connection by name, or the default one. */
export interface QueueConnectionResolver {
  /**
   * @param name - The connection's name (the job's `connection`), or undefined for the default.
   */
  connection(name?: string): QueueConnection;
}

/**
 * The `sync` connection: runs a queued job at once with `dispatchSync` semantics (job middleware
 * and the `failed()` hook apply). It is what `dispatch()` uses until a queue is configured.
 */
export class SyncConnection implements QueueConnection {
  readonly #run: (job: object) => Promise<unknown>;

  /** @param run - Runs a job now, as `dispatcher.dispatchSync` does. */
  constructor(run: (job: object) => Promise<unknown>) {
    this.#run = run;
  }

  push(job: object): Promise<unknown> {
    return this.#run(job);
  }
}
