import { chainFailure, jobName, type ChainCatchJob, type QueueableJob, type QueuedChain } from '@epilogue/bus';
import type { Application } from '@epilogue/core';
import type { DriverPushOptions, PushReceipt, QueueDriver } from '../driver/queue-driver.js';
import { InvalidJobOptionError } from '../errors.js';
import { nextInChain } from '../payload/chain-payload.js';
import type { ChainLink, ChainPayload, JobPayload } from '../payload/job-payload.js';
import type { PayloadCodec } from '../payload/payload-codec.js';

/** Where a job of a chain ran: for reports, and for the failure its catch jobs receive. */
export interface ChainJobPlace {
  /** The connection's name. */
  readonly connection: string;
  /** The queue it was delivered from. */
  readonly queue: string;
  /** Its id on the connection. */
  readonly id: string;
  /** Which attempt it was. */
  readonly attempt: number;
}

/** What `new QueuedChains()` needs from the queue manager. */
export interface QueuedChainsOptions {
  /** Writes and reads the payloads. */
  readonly codec: PayloadCodec;
  /** The driver of a connection (the default one for undefined). */
  readonly driver: (connection?: string) => QueueDriver;
  /** The queue of jobs that name none. */
  readonly defaultQueue: string;
}

// A push to a driver that runs jobs on push (sync), while its job runs: whether that job failed
// for good there, and the failure of a later job of its chain, which ran inside it.
interface Waiter {
  failedHere?: boolean;
  downstream?: { error: unknown };
}

type RunOutcome = { receipt: PushReceipt } | { failure: unknown };

/**
 * Moves the chains of one application's queues along. At dispatch it writes the rest of a chain
 * into the first job's payload; when a job of a chain completed, it pushes the next one with what
 * is left; when one failed for good, it dispatches the chain's catch jobs, once, each with the
 * failure in its `chainFailure` field.
 *
 * On a connection that runs jobs on push (sync), each next job runs inside the push of the one
 * before it. A failure down the chain is dealt with where it happens (failed store, catch jobs),
 * then handed back up to the `dispatch()` that started the chain, which rejects with it.
 */
export class QueuedChains {
  readonly #app: Application;
  readonly #codec: PayloadCodec;
  readonly #driver: (connection?: string) => QueueDriver;
  readonly #defaultQueue: string;
  readonly #waiting = new Map<string, Waiter>();

  /**
   * @param app - The application whose reporter receives the failures nobody waits for.
   * @param options - The codec, the drivers and the default queue.
   */
  constructor(app: Application, options: QueuedChainsOptions) {
    this.#app = app;
    this.#codec = options.codec;
    this.#driver = options.driver;
    this.#defaultQueue = options.defaultQueue;
  }

  /**
   * Writes the rest of a chain for its first job's payload. Every job is written now, so one
   * that cannot be queued fails the dispatch, naming its field.
   *
   * @param chain - The rest of the chain, from the bus.
   * @returns The payload's `chain` field, or undefined when nothing follows and nothing catches.
   * @throws {JobNotSerializableError} Naming the first field of a job that cannot be written.
   * @throws {JobNotRegisteredError} For a job (or catch job) whose class is not registered.
   * @throws {UnknownConnectionError} For a job sent to a connection that is not configured.
   * @throws {InvalidJobOptionError} For an unusable queue, delay, `tries`...
   */
  encode(chain: QueuedChain): ChainPayload | undefined {
    const next = chain.jobs.map((job) => this.#link(job, chain, chain.delay));
    // The chain's delay is for the jobs of the chain; a catch job waits only if it says so.
    const catchers = chain.catch.map((job) => this.#link(job, chain, undefined));
    return next.length === 0 && catchers.length === 0 ? undefined : { next, catch: catchers };
  }

  /**
   * Pushes a payload to a driver. On a driver that runs jobs on push (sync), the job runs now,
   * and the push rejects when it, or a later job of its chain, failed for good.
   *
   * @throws What the driver threw, or the failure of the job or of a later job of its chain.
   */
  async push(driver: QueueDriver, body: string, options: DriverPushOptions & { id: string }): Promise<PushReceipt> {
    // A driver that stores the job has nothing downstream to wait for.
    if (!driver.runsOnPush) return await driver.push(body, options);
    const outcome = await this.#run(driver, body, options);
    if ('failure' in outcome) throw outcome.failure;
    return outcome.receipt;
  }

  /**
   * Pushes the next job of a chain, once the job of `payload` completed.
   *
   * @returns `{ error }` when the next job could not be pushed: the completed job's attempt then
   *   counts as failed with that error, so that the job is retried rather than the chain dropped.
   */
  async advance(payload: JobPayload, place: ChainJobPlace): Promise<{ error: unknown } | undefined> {
    const next = payload.chain === undefined ? undefined : nextInChain(payload.chain);
    if (next === undefined) return undefined;
    let outcome: RunOutcome;
    try {
      const driver = this.#driver(next.link.connection ?? undefined);
      const written = this.#codec.write(next.payload);
      // A retryUntil() method gives a deadline counted from now, as for a job dispatched now.
      const body = next.payload.retryUntil === null ? written : this.#codec.refresh(written);
      outcome = await this.#run(driver, body, this.#pushOptions(next.link, next.payload.id));
    } catch (error) {
      return { error };
    }
    if ('failure' in outcome) this.#passOn(outcome.failure, payload, place);
    return undefined;
  }

  /**
   * Called once a job failed for good: dispatches its chain's catch jobs, in order, each with
   * the failure in its `chainFailure` field. A catch job that cannot be dispatched is reported.
   */
  async failed(payload: JobPayload, place: ChainJobPlace, error: unknown): Promise<void> {
    const waiter = this.#waiting.get(place.id);
    if (waiter !== undefined) waiter.failedHere = true;
    const catchers = payload.chain?.catch ?? [];
    if (catchers.length === 0) return;
    const failure = chainFailure(payload.displayName, error, place.id);
    for (const link of catchers) {
      try {
        const { job } = this.#codec.decode(this.#codec.write(link.payload));
        (job as ChainCatchJob).chainFailure = failure;
        const encoded = this.#codec.encode(job);
        const driver = this.#driver(link.connection ?? undefined);
        await this.push(driver, encoded.body, this.#pushOptions(link, encoded.payload.id));
      } catch (catchError) {
        this.#report(catchError, 'queue-chain-catch', payload, place);
      }
    }
  }

  /**
   * Writes a job that a running job adds to its chain (`prependToChain()`, `appendToChain()`).
   * It goes, when it names none of its own, to the connection and queue the running job was
   * delivered from, and waits only if it sets its own `delay`.
   *
   * @param job - The added job.
   * @param place - Where the running job was delivered from.
   * @throws As `encode()` does, for a job that cannot be queued.
   */
  linkFor(job: object, place: { readonly connection: string; readonly queue: string }): ChainLink {
    return this.#link(job, { jobs: [], catch: [], connection: place.connection, queue: place.queue }, undefined);
  }

  #link(job: object, chain: QueuedChain, chainDelay: number | undefined): ChainLink {
    const own = job as QueueableJob;
    const connection = own.connection ?? chain.connection ?? null;
    if (connection !== null) this.#driver(connection);
    const queue = own.queue ?? chain.queue ?? null;
    if (queue !== null && (typeof queue !== 'string' || queue === '')) {
      throw InvalidJobOptionError.forOption(jobName(job), 'queue', 'a queue name', queue);
    }
    const delay = own.delay ?? chainDelay ?? 0;
    if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
      throw InvalidJobOptionError.forOption(jobName(job), 'delay', 'seconds ≥ 0', delay);
    }
    return { connection, queue, delay, payload: this.#codec.payloadOf(job) };
  }

  // Throws only when the job did not run: a failure of a job that ran (on push) is an outcome.
  async #run(driver: QueueDriver, body: string, options: DriverPushOptions & { id: string }): Promise<RunOutcome> {
    if (!driver.runsOnPush) return { receipt: await driver.push(body, options) };
    const waiter: Waiter = {};
    this.#waiting.set(options.id, waiter);
    try {
      const receipt = await driver.push(body, options);
      return waiter.downstream === undefined ? { receipt } : { failure: waiter.downstream.error };
    } catch (error) {
      if (waiter.failedHere) return { failure: error };
      throw error;
    } finally {
      this.#waiting.delete(options.id);
    }
  }

  // A later job failed for good, and that was dealt with where it happened. The failure goes on
  // to whoever waits for this job's own push (sync), else to the reporter.
  #passOn(error: unknown, payload: JobPayload, place: ChainJobPlace): void {
    const waiter = this.#waiting.get(place.id);
    if (waiter !== undefined) waiter.downstream ??= { error };
    else this.#report(error, 'queue-chain', payload, place);
  }

  #pushOptions(link: ChainLink, id: string): DriverPushOptions & { id: string } {
    return { id, queue: link.queue ?? this.#defaultQueue, delayMs: link.delay * 1000 };
  }

  #report(error: unknown, phase: string, payload: JobPayload, place: ChainJobPlace): void {
    this.#app.report(error, { ...this.#app.currentScope().reportContext(phase), ...place, job: payload.displayName });
  }
}
