import { randomUUID } from 'node:crypto';
import type { Application } from '@epilogue/core';
import { chainFailure, type ChainFailure } from '../chain/chain-failure.js';
import type { ChainOptions, QueuedChain } from '../chain/chain-options.js';
import { runChainCatch } from '../chain/chain-catch.js';
import { jobName } from '../job-value.js';
import { isShouldQueue } from '../should-queue.js';
import { Batch, type BatchOperations } from './batch.js';
import { batchChains, type BatchableJob, type BatchCallbackKind, type BatchEntry } from './batch-entries.js';
import { BatchCallbackNotQueueableError, BatchNotFoundError, ChainedBatchCancelledError, InvalidBatchError } from './batch-errors.js';
import type { BatchCallback, BatchCatch, BatchOptions } from './batch-options.js';
import type { BatchListOptions, BatchRecord, BatchStore } from './batch-store.js';
import { MemoryBatchStore } from './memory-batch-store.js';

/** What the batches need of the bus. `Dispatcher` is one. */
export interface BatchesDispatcher {
  /** Queues a `ShouldQueue` job, runs any other now. */
  dispatch(job: object): Promise<unknown>;
  /** Runs a job now, with its middleware and `failed()` hook. */
  dispatchSync(job: object): Promise<unknown>;
  /** Pushes a job (the first of a chain, with `chain`) to its queue connection. */
  dispatchToQueue(job: object, chain?: QueuedChain): Promise<unknown>;
  /** Dispatches a chain: the rest of a chain a batch was a step of. */
  dispatchChain(jobs: readonly object[], options?: ChainOptions): Promise<void>;
  /** Whether queues are configured. */
  hasQueueResolver(): boolean;
}

/**
 * Writes callback jobs into the store and reads them back, so that whichever worker finishes a
 * queued batch can dispatch them. The queue package sets one (its payload codec) in `configureQueues()`.
 */
export interface BatchCallbackCodec {
  /** Writes a job as text. Throws, naming the field, for a job that cannot be queued. */
  encode(job: object): string;
  /** Builds the job back from the text. */
  decode(text: string): object;
}

/** The options the bus keeps with a batch in its store (JSON). */
interface StoredOptions {
  queued: boolean;
  allowFailures: boolean;
  connection: string | null;
  queue: string | null;
  /** For a queued batch: the callback jobs, written by the codec. */
  callbacks: Record<BatchCallbackKind, string[]>;
  /** For a queued batch that is a step of a chain: the rest of the chain, its jobs written by the codec. */
  chain?: StoredChain;
}

interface StoredChain {
  jobs: string[];
  catch: string[];
  connection: string | null;
  queue: string | null;
  delay: number | null;
}

type LocalCallbacks = Record<BatchCallbackKind, readonly (BatchCallback | BatchCatch)[]> & { chain?: QueuedChain };

const KINDS: readonly BatchCallbackKind[] = ['onSuccess', 'catch', 'finally'];

/**
 * The job batches of one application: their store, how they are dispatched, and what happens as
 * their jobs succeed and fail. `dispatcher.batches` is the one of the application; queue workers
 * call `recordSuccessfulJob()` and `recordFailedJob()` for the jobs of a batch.
 *
 * The counters follow Laravel's: a success takes one job off `pendingJobs`; a failure adds one to
 * `failedJobs` and leaves `pendingJobs` as it is. `onSuccess` runs when `pendingJobs` reaches 0;
 * `catch` at the first failure; `finally` when `pendingJobs - failedJobs` reaches 0. Each counter
 * change is atomic in the store, so exactly one job sees each of these moments.
 */
export class Batches implements BatchOperations {
  readonly #app: Application;
  readonly #dispatcher: BatchesDispatcher;
  #store: BatchStore = new MemoryBatchStore();
  #codec: BatchCallbackCodec | undefined;
  // The callbacks of batches that run in this process: they may be functions, so they stay here.
  readonly #local = new Map<string, LocalCallbacks>();

  /**
   * @param app - The application whose reporter receives job and callback failures.
   * @param dispatcher - The bus that runs and queues the jobs.
   */
  constructor(app: Application, dispatcher: BatchesDispatcher) {
    this.#app = app;
    this.#dispatcher = dispatcher;
  }

  /** The store batches are kept in: a `MemoryBatchStore` until `useStore()` sets another. */
  get store(): BatchStore {
    return this.#store;
  }

  /** Keeps batches in `store` from now on (batches of the previous store are not moved). */
  useStore(store: BatchStore): this {
    this.#store = store;
    return this;
  }

  /** Sets how callback jobs of queued batches are written (the queue package does this). */
  useCallbackCodec(codec: BatchCallbackCodec | undefined): this {
    this.#codec = codec;
    return this;
  }

  /**
   * The batch of this id, as the store has it now.
   *
   * @throws {InvalidBatchError} (as a rejection) For an id that is not a non-empty string.
   */
  async find(id: string): Promise<Batch | undefined> {
    if (typeof id !== 'string' || id === '') throw InvalidBatchError.id(id);
    const record = await this.#store.find(id);
    return record === undefined ? undefined : new Batch(record, this);
  }

  /**
   * Batches as the store has them now, newest first (what `queue:batches` lists).
   *
   * @param options - How many (default 50), and after which batch (the next page).
   */
  async list(options: BatchListOptions = {}): Promise<Batch[]> {
    return (await this.#store.list(options)).map((record) => new Batch(record, this));
  }

  /**
   * Creates a batch and dispatches its jobs (what `PendingBatch.dispatch()` ends in).
   *
   * @returns The batch once its jobs were pushed, or have run in this process.
   */
  async dispatch(entries: readonly BatchEntry[], options: BatchOptions = {}): Promise<Batch> {
    const chains = batchChains(entries);
    const queued = this.#dispatcher.hasQueueResolver() && chains.some((chain) => chain.some(isShouldQueue));
    const callbacks: LocalCallbacks = {
      onSuccess: options.onSuccess ?? [],
      catch: options.catch ?? [],
      finally: options.finally ?? [],
      ...(options.chain && { chain: options.chain }),
    };
    const stored: StoredOptions = {
      queued,
      allowFailures: options.allowFailures === true,
      connection: options.connection ?? null,
      queue: options.queue ?? null,
      callbacks: queued ? this.#encodeCallbacks(callbacks, options) : { onSuccess: [], catch: [], finally: [] },
      ...(queued && options.chain && { chain: this.#encodeChain(options.chain) }),
    };
    const record = await this.#store.create({ name: options.name ?? '', options: { ...stored } });
    if (!queued) this.#local.set(record.id, callbacks);
    try {
      await this.#run(record, chains);
    } catch (error) {
      // Nothing of a batch that could not be dispatched stays behind (as in Laravel).
      this.#local.delete(record.id);
      await this.#store.delete(record.id);
      throw error;
    }
    // A batch without jobs never sees a job finish: a chain it is a step of goes on at once.
    if (chains.length === 0 && options.chain !== undefined) await this.#continueChain(record.id, options.chain);
    return (await this.find(record.id)) ?? new Batch(record, this);
  }

  /**
   * Adds jobs to a batch: pushed for a queued batch, run now for one that runs in this process.
   *
   * @throws {BatchNotFoundError} (as a rejection) For a batch that is not in the store.
   */
  async add(id: string, entries: readonly BatchEntry[]): Promise<Batch> {
    const chains = batchChains(entries);
    const record = await this.#store.find(id);
    if (record === undefined) throw BatchNotFoundError.withId(id);
    await this.#run(record, chains);
    return (await this.find(id)) ?? new Batch(record, this);
  }

  /** Cancels a batch. */
  async cancel(id: string): Promise<void> {
    await this.#store.cancel(id);
  }

  /** Deletes a batch. */
  async delete(id: string): Promise<void> {
    this.#local.delete(id);
    await this.#store.delete(id);
  }

  /**
   * Records that a job of a batch succeeded, and runs `onSuccess` and `finally` when this was
   * the moment for them. An unknown batch (deleted, pruned) is ignored.
   *
   * @param batchId - The job's batch.
   * @param jobId - The job's id (on its queue connection).
   */
  async recordSuccessfulJob(batchId: string, jobId: string): Promise<void> {
    const counts = await this.#store.decrementPendingJobs(batchId, jobId);
    if (counts === undefined) return;
    if (counts.pendingJobs === 0) {
      await this.#store.markAsFinished(batchId);
      await this.#invoke(batchId, 'onSuccess');
    }
    if (counts.pendingJobs - counts.failedJobs === 0) await this.#allRan(batchId);
  }

  /**
   * Records that a job of a batch failed for good: at the first failure, cancels the batch
   * (unless it allows failures) and runs `catch`; runs `finally` when every job has run.
   *
   * @param batchId - The job's batch.
   * @param jobId - The job's id (on its queue connection).
   * @param job - The job's display name.
   * @param error - What it failed with.
   */
  async recordFailedJob(batchId: string, jobId: string, job: string, error: unknown): Promise<void> {
    const counts = await this.#store.incrementFailedJobs(batchId, jobId);
    if (counts === undefined) return;
    if (counts.failedJobs === 1) {
      const record = await this.#store.find(batchId);
      const cancels = record !== undefined && !(record.options as Partial<StoredOptions>).allowFailures;
      if (cancels) await this.#store.cancel(batchId);
      const chain = cancels ? this.#chainOf(batchId, record) : undefined;
      await this.#invoke(batchId, 'catch', { job, jobId, error });
      // The failure cancelled the batch: a chain it is a step of stops here.
      if (chain !== undefined) await runChainCatch(this.#dispatcher, this.#app, chain.catch, chainFailure(job, error, jobId), error);
    }
    if (counts.pendingJobs - counts.failedJobs === 0) await this.#allRan(batchId);
  }

  // Every job has run: the finally callbacks, then the rest of a chain the batch is a step of.
  // A batch that was cancelled stops the chain: by its first failure, whose moment ran the
  // chain's catch already; otherwise (cancel(), or after failures it allowed) the catch runs now.
  async #allRan(batchId: string): Promise<void> {
    const record = await this.#store.find(batchId);
    const chain = record === undefined ? undefined : this.#chainOf(batchId, record);
    await this.#invoke(batchId, 'finally');
    if (chain === undefined || record === undefined) return;
    if (record.cancelledAt === null) return this.#continueChain(batchId, chain);
    if ((record.options as Partial<StoredOptions>).allowFailures !== true && record.failedJobs > 0) return;
    const error = ChainedBatchCancelledError.forBatch(batchId, record.name);
    await runChainCatch(this.#dispatcher, this.#app, chain.catch, chainFailure(`batch ${batchId}`, error), error);
  }

  async #continueChain(batchId: string, chain: QueuedChain): Promise<void> {
    if (chain.jobs.length === 0) return;
    const { connection, queue, delay } = chain;
    try {
      await this.#dispatcher.dispatchChain(chain.jobs, { catch: chain.catch, connection, queue, delay });
    } catch (error) {
      this.#app.report(error, { ...this.#app.currentScope().reportContext('batch-chain'), batchId, job: chain.jobs.map(jobName).join(' → ') });
    }
  }

  // The rest of the chain the batch is a step of: kept here (in this process) or in the store.
  #chainOf(batchId: string, record: BatchRecord): QueuedChain | undefined {
    const local = this.#local.get(batchId);
    if (local !== undefined) return local.chain;
    const stored = (record.options as Partial<StoredOptions>).chain;
    if (stored === undefined) return undefined;
    const decode = (texts: string[]) => texts.map((text) => this.#decode(text));
    const { connection, queue, delay } = stored;
    return {
      jobs: decode(stored.jobs),
      catch: decode(stored.catch),
      ...(connection !== null && { connection }),
      ...(queue !== null && { queue }),
      ...(delay !== null && { delay }),
    };
  }

  #encodeChain(chain: QueuedChain): StoredChain {
    const codec = this.#codec;
    if (codec === undefined) throw BatchCallbackNotQueueableError.noCodec();
    return {
      jobs: chain.jobs.map((job) => codec.encode(job)),
      catch: chain.catch.map((job) => codec.encode(job)),
      connection: chain.connection ?? null,
      queue: chain.queue ?? null,
      delay: chain.delay ?? null,
    };
  }

  async #run(record: BatchRecord, chains: readonly object[][]): Promise<void> {
    const options = record.options as Partial<StoredOptions>;
    const total = chains.reduce((sum, chain) => sum + chain.length, 0);
    for (const chain of chains) for (const job of chain) (job as BatchableJob).batchId = record.id;
    // Counted before any job is pushed, so that no job can finish the batch while others are still to come.
    if (total > 0) await this.#store.incrementTotalJobs(record.id, total);
    if (options.queued === true) {
      const placement = { connection: options.connection ?? undefined, queue: options.queue ?? undefined };
      for (const [first, ...rest] of chains) {
        await this.#dispatcher.dispatchToQueue(first!, { jobs: rest, catch: [], ...placement });
      }
      return;
    }
    for (const chain of chains) await this.#runChainHere(record.id, chain);
  }

  // A job that fails stops its chain: the jobs after it do not run and stay pending (as in Laravel).
  async #runChainHere(batchId: string, chain: readonly object[]): Promise<void> {
    for (const job of chain) {
      const jobId = randomUUID();
      try {
        await this.#dispatcher.dispatchSync(job);
      } catch (error) {
        this.#app.report(error, { ...this.#app.currentScope().reportContext('batch-job'), job: jobName(job), batchId });
        await this.recordFailedJob(batchId, jobId, jobName(job), error);
        return;
      }
      await this.recordSuccessfulJob(batchId, jobId);
    }
  }

  #encodeCallbacks(callbacks: LocalCallbacks, options: BatchOptions): Record<BatchCallbackKind, string[]> {
    const encoded = { onSuccess: [] as string[], catch: [] as string[], finally: [] as string[] };
    for (const kind of KINDS) {
      for (const callback of callbacks[kind]) {
        if (typeof callback === 'function') throw BatchCallbackNotQueueableError.forFunction(kind, callback);
        if (this.#codec === undefined) throw BatchCallbackNotQueueableError.noCodec();
        const placed = callback as { connection?: string; queue?: string };
        if (options.connection !== undefined) placed.connection ??= options.connection;
        if (options.queue !== undefined) placed.queue ??= options.queue;
        encoded[kind].push(this.#codec.encode(callback));
      }
    }
    return encoded;
  }

  async #invoke(batchId: string, kind: BatchCallbackKind, failure?: { job: string; jobId: string; error: unknown }) {
    const batch = await this.find(batchId);
    if (batch === undefined) return;
    const local = this.#local.get(batchId);
    if (kind === 'finally') this.#local.delete(batchId);
    const stored = (batch.options as Partial<StoredOptions>).callbacks?.[kind] ?? [];
    const callbacks: readonly (BatchCallback | BatchCatch | string)[] = local?.[kind] ?? stored;
    for (const callback of callbacks) {
      try {
        if (typeof callback === 'function') {
          const data = failure && chainFailure(failure.job, failure.error, failure.jobId);
          await (callback as (batch: Batch, error?: unknown, failure?: ChainFailure) => unknown)(batch, failure?.error, data);
          continue;
        }
        const job = (typeof callback === 'string' ? this.#decode(callback) : callback) as BatchableJob;
        job.batchId = batchId;
        job.batchCallback = kind;
        if (failure !== undefined) job.batchFailure = chainFailure(failure.job, failure.error, failure.jobId);
        await this.#dispatcher.dispatch(job);
      } catch (error) {
        this.#app.report(error, { ...this.#app.currentScope().reportContext('batch-callback'), batchId, callback: kind });
      }
    }
  }

  #decode(text: string): object {
    if (this.#codec === undefined) throw BatchCallbackNotQueueableError.noCodec();
    return this.#codec.decode(text);
  }
}
