import type { ChainFailure } from './chain-failure.js';

/** A function run when a chain that runs in this process fails: the error, and the failure as data. */
export type ChainCatchCallback = (error: unknown, failure: ChainFailure) => unknown;

/**
 * What `catch()` takes: a job instance, dispatched when the chain fails (with the failure in its
 * `chainFailure` field), or, for a chain that runs in this process only, a function.
 */
export type ChainCatch = object | ChainCatchCallback;

/**
 * Where and when the jobs of a chain go, for every job that sets none of its own. The one
 * definition of these fields: `ChainOptions`, `QueuedChain` and the testing package's chain
 * records all extend it.
 */
export interface ChainPlacement {
  /** The connection of every job that names none of its own (queued chains). */
  readonly connection?: string;
  /** The queue of every job that names none of its own (queued chains). */
  readonly queue?: string;
  /** The delay, in seconds, of every job that sets none of its own (queued chains). */
  readonly delay?: number;
}

/** The options of a chain, as `dispatcher.dispatchChain()` receives them from a `PendingChain`. */
export interface ChainOptions extends ChainPlacement {
  /** What runs, once, when a job of the chain fails for good (see `PendingChain.catch()`). */
  readonly catch?: readonly ChainCatch[];
}

/** The rest of a chain, handed to a queue connection with the chain's first job. */
export interface QueuedChain extends ChainPlacement {
  /** The jobs that run after the first one, in order. */
  readonly jobs: readonly object[];
  /** The jobs to dispatch, once, when a job of the chain fails for good (`chainFailure` set). */
  readonly catch: readonly object[];
}
