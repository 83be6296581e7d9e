import { attachChainControl, Dispatcher, jobName, memberBatchId } from '@epilogue/bus';
import { spansObserved, traceContextFrom, traced, type Application, type Scope, type TracedSpan } from '@epilogue/core';
import type { AtomicStore } from '../atomics/atomic-store.js';
import { applicationMemoryStore } from '../atomics/memory-atomic-store.js';
import type { QueuedChains } from '../chain/queued-chains.js';
import type { Clock } from '../clock.js';
import type { Delivery, DeliveryOutcome } from '../driver/queue-driver.js';
import { JobTimedOutError, MaxAttemptsExceededError } from '../errors.js';
import { withAddedJobs } from '../payload/chain-payload.js';
import type { JobPayload } from '../payload/job-payload.js';
import type { DecodedJob, PayloadCodec } from '../payload/payload-codec.js';
import { uniqueLockOf, type UniqueLock } from '../unique/should-be-unique.js';
import { recordAttempt, messagingAttributes } from '../telemetry/messaging.js';
import { setLongTimeout, type LongTimer } from '../timers.js';
import { AttemptContext, attachContext, type ProgressSink } from './queue-context.js';
import { decideOutcome, exceededBeforeAttempt, type AttemptResult } from './retry-policy.js';

/** How the runner should behave. */
export interface JobRunnerOptions {
  /** The connection's name, for contexts and reports. */
  connection: string;
  /** Reads payloads and builds jobs. */
  codec: PayloadCodec;
  /** Compared with `retryUntil`. */
  clock: Clock;
  /**
   * The connection's locks and counters, for job middleware and unique jobs. Default: the
   * application's `MemoryAtomicStore`.
   */
  atomics?: AtomicStore;
  /**
   * Moves chains along: pushes a chain's next job when its job completed, and its catch jobs
   * when it failed for good. `createRunner()` passes the manager's `chains`; a runner built
   * without it runs chained jobs but does not go on with their chains.
   */
  chains?: QueuedChains;
  /**
   * Run in the caller's scope and leave the final error to the caller (the sync driver), rather
   * than in a job scope of its own with every error reported (a worker).
   */
  inline: boolean;
  /**
   * A ceiling on attempts whatever the job allows. The sync connection sets one, so that a job
   * retried until a far `retryUntil` cannot hold the dispatching request in a loop. Default: none.
   */
  maxAttempts?: number;
  /**
   * A worker's defaults for the jobs that declare no `tries`, `backoff` or `timeout` of their
   * own (`--tries`, `--backoff`, `--timeout`); a job's own settings win. Default: none (a job
   * without `tries` gets 1 try, without `backoff` no wait, without `timeout` no limit).
   */
  defaults?: AttemptDefaults;
}

/** Worker-wide defaults for the jobs that do not set these options themselves. */
export interface AttemptDefaults {
  /** How many attempts a job may take (0: no limit). */
  readonly tries?: number;
  /** Seconds to wait before each retry: `[5, 30]` waits 5 s after the first attempt, then 30 s. */
  readonly backoff?: readonly number[];
  /** Seconds an attempt may run before it is abandoned with `JobTimedOutError`. */
  readonly timeout?: number;
}

/** Callbacks of one `JobRunner.run()`. */
export interface RunHooks {
  /**
   * Called once the payload was read, before the attempt (or the refusal of a payload that
   * cannot be read), with the job's display name or `(unreadable payload)`.
   */
  readonly onStart?: (name: string) => void;
}

/**
 * An attempt that ended without reporting back: the process or thread running it died, or was
 * stopped for running past its timeout. `JobRunner.runLost()` decides what happens to the job.
 */
export type LostAttempt =
  /** It was stopped when it ran past its `timeout`: the job's `JobTimedOutError` applies. */
  | { readonly timedOut: true }
  /** It died with `error` (a crashed thread, say). */
  | { readonly timedOut: false; readonly error: unknown };

/** What one delivery came to. */
export interface RunReport {
  /** What the driver should do with the job. */
  readonly outcome: DeliveryOutcome;
  /** The job's display name, or `(unreadable payload)`. */
  readonly name: string;
  /** What the attempt threw (also when the job is released to try again), or why it was refused. */
  readonly error?: unknown;
}

const UNREADABLE = '(unreadable payload)';

// A payload's trace carrier as the propagator may read it: string values only. A missing or
// unusable one (an older payload) just starts a new trace.
function readableTrace(trace: unknown): Record<string, string> | undefined {
  if (typeof trace !== 'object' || trace === null) return undefined;
  const entries = Object.entries(trace).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return entries.length === 0 ? undefined : Object.fromEntries(entries);
}

/**
 * Runs one delivered job, the way both a `Worker` and the sync driver do: reads the payload
 * (refusing what is not safe), builds the job, runs it through its middleware, the bus pipes
 * and its handler with its queue context attached, then decides its outcome and calls its
 * `failed()` hook once when it failed for good. For a job of a chain it then pushes the next job
 * or dispatches the catch jobs (see `QueuedChains`); for a job of a batch it records, once the
 * job will not run again, that it succeeded or failed on the batch (which may dispatch the
 * batch's callback jobs). It never throws.
 */
export class JobRunner {
  readonly #app: Application;
  readonly #dispatcher: Dispatcher;
  readonly #options: JobRunnerOptions;
  readonly #atomics: AtomicStore;
  // The worker's defaults, or undefined when it set none (a payload is then its own policy).
  readonly #defaults: AttemptDefaults | undefined;

  /**
   * @param app - The application whose dispatcher, scopes and reporter are used.
   * @param options - Connection, codec, clock and mode.
   */
  constructor(app: Application, options: JobRunnerOptions) {
    this.#app = app;
    this.#dispatcher = app.container.resolve(Dispatcher);
    this.#options = options;
    this.#atomics = options.atomics ?? applicationMemoryStore(app);
    const { defaults } = options;
    const none = defaults === undefined || (defaults.tries === undefined && defaults.backoff === undefined && defaults.timeout === undefined);
    this.#defaults = none ? undefined : defaults;
  }

  /** The runner as a driver's delivery handler. */
  readonly handle = async (delivery: Delivery): Promise<DeliveryOutcome> => (await this.run(delivery)).outcome;

  /**
   * Runs one delivery.
   *
   * @param delivery - The job as the driver delivered it.
   * @param hooks - Called as the attempt starts.
   * @returns The outcome for the driver, with the job's name and error for reports.
   */
  run(delivery: Delivery, hooks: RunHooks = {}): Promise<RunReport> {
    return this.#run(delivery, undefined, hooks);
  }

  /**
   * Settles a delivery whose attempt was lost (it timed out or crashed where nothing could
   * report its end, as on a worker thread that was terminated), as if that attempt had thrown:
   * the job is released after its backoff while it has tries left, else it fails for good, with
   * its `failed()` hook, its unique lock and its chain's catch jobs handled as after any attempt.
   * The job does not run again here.
   *
   * @param delivery - The delivery whose attempt was lost.
   * @param lost - Whether it timed out, or what it died with.
   * @returns The outcome for the driver, with the job's name and error for reports.
   */
  runLost(delivery: Delivery, lost: LostAttempt): Promise<RunReport> {
    return this.#run(delivery, lost, {});
  }

  // Not an async function: a job whose payload was read goes on to its attempt without a promise
  // of its own here. It still never throws: what a hook or the reporter throws rejects.
  #run(delivery: Delivery, lost: LostAttempt | undefined, hooks: RunHooks): Promise<RunReport> {
    try {
      let decoded: DecodedJob;
      try {
        decoded = this.#options.codec.decode(delivery.body);
      } catch (error) {
        hooks.onStart?.(UNREADABLE);
        // A refused payload is never executed: it goes to the failed store with the reason.
        if (!this.#options.inline) this.#app.report(error, { ...this.#where(delivery), phase: 'queue-payload' });
        return Promise.resolve({ outcome: { type: 'fail', error }, name: UNREADABLE, error });
      }
      hooks.onStart?.(decoded.payload.displayName);
      return this.#traced(decoded, delivery, lost);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // The attempt runs inside a `process` span whose parent is the dispatch's `send` span (its
  // context travels in the payload), and is counted in the queue metrics. While no tracer
  // provider or propagator is registered, no span would be seen: the attempt runs without one,
  // and without building its attributes.
  #traced(decoded: DecodedJob, delivery: Delivery, lost: LostAttempt | undefined): Promise<RunReport> {
    if (!spansObserved()) return this.#measured(decoded, delivery, lost, undefined);
    const { payload } = decoded;
    const attributes = {
      ...messagingAttributes('process', this.#options.connection, delivery.queue, jobName(decoded.job)),
      'messaging.message.id': payload.id,
      'epilogue.job.attempt': delivery.attempts,
    };
    const parent = traceContextFrom(readableTrace(payload.trace));
    const options = { kind: 'consumer', parent, attributes } as const;
    return traced(`process ${delivery.queue}`, options, (span) => this.#measured(decoded, delivery, lost, span));
  }

  async #measured(
    decoded: DecodedJob,
    delivery: Delivery,
    lost: LostAttempt | undefined,
    span: TracedSpan | undefined,
  ): Promise<RunReport> {
    const startedAt = Date.now();
    const started = performance.now();
    let report: RunReport | undefined;
    if (this.#options.inline) {
      report = await this.#process(decoded, delivery, this.#app.currentScope(), lost);
    } else {
      const details = {
        connection: this.#options.connection,
        queue: delivery.queue,
        id: delivery.id,
        attempt: delivery.attempts,
        job: decoded.payload.displayName,
      };
      const scope = this.#app.createScope('job', details);
      try {
        report = await scope.run(() => this.#process(decoded, delivery, scope, lost));
      } finally {
        // Deferred callbacks run when the attempt neither threw nor failed the job.
        await scope.finish(report !== undefined && report.error === undefined && report.outcome.type !== 'fail');
      }
    }
    if (span !== undefined) {
      if (report.error !== undefined) span.fail(report.error);
      span.setAttributes({ 'epilogue.job.outcome': report.outcome.type });
    }
    const durationMs = performance.now() - started;
    const { connection } = this.#options;
    const { queue, attempts: attempt } = delivery;
    const job = jobName(decoded.job);
    const outcome = report.outcome.type;
    recordAttempt({ connection, queue, job, attempt, createdAt: decoded.payload.createdAt, startedAt, durationMs, outcome });
    return report;
  }

  async #process(
    { payload, job }: DecodedJob,
    delivery: Delivery,
    scope: Scope,
    lost: LostAttempt | undefined,
  ): Promise<RunReport> {
    const name = payload.displayName;
    const { maxAttempts = Infinity } = this.#options;
    // A lost attempt was checked when it started; what is left is to decide how it ended.
    const exceeded =
      lost !== undefined
        ? undefined
        : delivery.attempts > maxAttempts
        ? MaxAttemptsExceededError.forJob(name, maxAttempts)
        : exceededBeforeAttempt(this.#policy(payload), delivery.attempts, this.#options.clock.now());
    // The lock's key is read once, from the job as it was dispatched; most jobs have none.
    const lock = this.#uniqueLock(job, payload, scope);
    if (exceeded !== undefined) {
      if (lock !== undefined) await this.#freeUniqueLock(lock, payload, scope);
      // Reported as Laravel reports MaxAttemptsExceededException; inline, the caller gets it.
      if (!this.#options.inline) this.#dispatcher.reportFailure(exceeded, name, this.#where(delivery));
      const outcome: DeliveryOutcome = { type: 'fail', error: exceeded };
      await this.#dispatcher.jobFailed(job, exceeded);
      await this.#options.chains?.failed(payload, this.#where(delivery), exceeded);
      await this.#recordInBatch(job, name, delivery, outcome, scope);
      return { outcome, name, error: exceeded };
    }
    // ShouldBeUniqueUntilProcessing frees its lock once the job's middleware let it through to
    // its handler, as Laravel does: a job held back (RateLimited, WithoutOverlapping) keeps it.
    const reached = lock?.until === 'processing' ? () => this.#freeUniqueLock(lock, payload, scope) : undefined;
    const ended =
      lost === undefined ? await this.#attempt(job, payload, delivery, reached) : this.#lost(payload, delivery, lost);
    const decided = this.#decide(payload, delivery, ended);
    const { attempt, outcome } = decided instanceof Promise ? await decided : decided;
    if (lock !== undefined && outcome.type !== 'release') await this.#freeUniqueLock(lock, payload, scope);
    const finalInline = this.#options.inline && outcome.type === 'fail';
    if (attempt.threw && !finalInline) {
      this.#dispatcher.reportFailure(attempt.error, name, this.#where(delivery));
    }
    if (outcome.type === 'fail') {
      await this.#dispatcher.jobFailed(job, outcome.error);
      await this.#options.chains?.failed(payload, this.#where(delivery), outcome.error);
    }
    if (memberBatchId(job) !== undefined) await this.#recordInBatch(job, name, delivery, outcome, scope);
    const error = attempt.threw ? attempt.error : outcome.type === 'fail' ? outcome.error : undefined;
    return { outcome, name, error };
  }

  // A job of a chain that completed pushes the next one before it is done (with the jobs it added
  // to its chain during the attempt, which may start one). When that push
  // fails, the attempt counts as failed with the push's error (and is retried): no chain is dropped.
  // A job with no chain to move along decides at once, without a promise.
  #decide(
    payload: JobPayload,
    delivery: Delivery,
    attempt: AttemptResult,
  ): { attempt: AttemptResult; outcome: DeliveryOutcome } | Promise<{ attempt: AttemptResult; outcome: DeliveryOutcome }> {
    const outcome = decideOutcome(this.#policy(payload), delivery, attempt, this.#options.clock.now());
    const chains = this.#options.chains;
    const { prepended, appended } = attempt.context;
    const chain = withAddedJobs(payload.chain, prepended, appended);
    if (outcome.type !== 'complete' || chain === undefined || chains === undefined) return { attempt, outcome };
    return this.#advance(chains, chain === payload.chain ? payload : { ...payload, chain }, delivery, attempt, outcome);
  }

  async #advance(
    chains: QueuedChains,
    payload: JobPayload,
    delivery: Delivery,
    attempt: AttemptResult,
    outcome: DeliveryOutcome,
  ): Promise<{ attempt: AttemptResult; outcome: DeliveryOutcome }> {
    const pushed = await chains.advance(payload, this.#where(delivery));
    if (pushed === undefined) return { attempt, outcome };
    const failed: AttemptResult = { ...attempt, threw: true, error: pushed.error };
    return { attempt: failed, outcome: decideOutcome(this.#policy(payload), delivery, failed, this.#options.clock.now()) };
  }

  // The payload's retry options, with the worker's defaults for those the job left unset. Only
  // the retry policy and the timeout read them: the payload itself (and a chain's next job) is
  // left as dispatched.
  #policy(payload: JobPayload): JobPayload {
    const defaults = this.#defaults;
    if (defaults === undefined) return payload;
    return {
      ...payload,
      maxTries: payload.maxTries ?? defaults.tries ?? null,
      backoff: payload.backoff ?? (defaults.backoff === undefined ? null : [...defaults.backoff]),
      timeout: payload.timeout ?? defaults.timeout ?? null,
    };
  }

  // A job of a batch counts on it once it will not run again: completed or deleted is a success
  // (its chain's next job, when it has one, was pushed first), failed for good a failure. The
  // attempt's outcome stands either way: a store that cannot be reached is reported, and running
  // the job again would not mend the count.
  async #recordInBatch(job: object, name: string, delivery: Delivery, outcome: DeliveryOutcome, scope: Scope) {
    const batchId = memberBatchId(job);
    if (batchId === undefined || outcome.type === 'release') return;
    const batches = this.#dispatcher.batches;
    try {
      if (outcome.type === 'fail') await batches.recordFailedJob(batchId, delivery.id, name, outcome.error);
      else await batches.recordSuccessfulJob(batchId, delivery.id);
    } catch (error) {
      this.#app.report(error, { ...scope.reportContext('queue-batch'), ...this.#where(delivery), job: name, batchId });
    }
  }

  async #attempt(
    job: object,
    payload: JobPayload,
    delivery: Delivery,
    reached: (() => Promise<void>) | undefined,
  ): Promise<AttemptResult> {
    const context = new AttemptContext(payload.displayName, this.#place(delivery), this.#atomics, this.#progressSink(delivery));
    attachContext(job, context);
    this.#attachChainControl(job, context);
    const running = this.#dispatcher.runQueued(job, reached);
    const { displayName } = payload;
    const { timeout } = this.#policy(payload);
    let timer: LongTimer | undefined;
    try {
      const result =
        timeout === null
          ? await running
          : await Promise.race([
              running,
              new Promise<never>((_, reject) => {
                timer = setLongTimeout(() => reject(JobTimedOutError.after(displayName, timeout)), timeout * 1000);
              }),
            ]);
      context.close(false);
      return { context, threw: false, timedOut: false, result };
    } catch (error) {
      const timedOut = error instanceof JobTimedOutError;
      // An abandoned attempt cannot be stopped, only told: its signal aborts, its late
      // decisions are ignored, and its eventual rejection is not left unhandled.
      if (timedOut) running.catch(() => undefined);
      context.close(timedOut);
      return { context, threw: true, error, timedOut };
    } finally {
      timer?.clear();
      // Once the attempt ended, adding to the chain throws: nothing would push what was added.
      attachChainControl(job, undefined);
    }
  }

  // The jobs a job adds to its chain are written at once (a job that cannot be queued throws in
  // its handler), and kept on the attempt until it ends.
  #attachChainControl(job: object, context: AttemptContext): void {
    const chains = this.#options.chains;
    if (chains === undefined) return;
    const place = { connection: this.#options.connection, queue: context.queue };
    attachChainControl(job, {
      prepend: (next) => context.prepended.unshift(chains.linkFor(next, place)),
      append: (next) => context.appended.push(chains.linkFor(next, place)),
    });
  }

  #lost(payload: JobPayload, delivery: Delivery, lost: LostAttempt): AttemptResult {
    const context = new AttemptContext(payload.displayName, this.#place(delivery), this.#atomics);
    context.close(lost.timedOut);
    // A job that declares no timeout can only be lost by dying.
    const error = lost.timedOut ? JobTimedOutError.after(payload.displayName, this.#policy(payload).timeout ?? 0) : lost.error;
    return { context, threw: true, error, timedOut: lost.timedOut };
  }

  // The driver stores the progress where it can; one that fails to is reported, and the job
  // goes on.
  #progressSink(delivery: Delivery): ProgressSink | undefined {
    const store = delivery.progress;
    if (store === undefined) return undefined;
    return async (percent) => {
      try {
        await store(percent);
      } catch (error) {
        this.#app.report(error, { ...this.#where(delivery), phase: 'queue-progress' });
      }
    };
  }

  // A unique job's lock is freed once the job will not run again (completed, deleted or failed
  // for good), or as it reaches its handler for ShouldBeUniqueUntilProcessing. Only the lock this very job
  // took (owned by its payload id) is freed, and a store that cannot be reached is reported.
  async #freeUniqueLock(lock: UniqueLock, payload: JobPayload, scope: Scope): Promise<void> {
    try {
      await this.#atomics.release(lock.key, payload.id);
    } catch (error) {
      this.#reportUniqueLock(error, payload, scope);
    }
  }

  #uniqueLock(job: object, payload: JobPayload, scope: Scope): UniqueLock | undefined {
    try {
      return uniqueLockOf(job, payload.job);
    } catch (error) {
      this.#reportUniqueLock(error, payload, scope);
      return undefined;
    }
  }

  #reportUniqueLock(error: unknown, payload: JobPayload, scope: Scope): void {
    this.#app.report(error, { ...scope.reportContext('unique-lock'), job: payload.displayName });
  }

  #place(delivery: Delivery): { id: string; connection: string; queue: string; attempts: number } {
    return { id: delivery.id, connection: this.#options.connection, queue: delivery.queue, attempts: delivery.attempts };
  }

  #where(delivery: Delivery): { connection: string; queue: string; id: string; attempt: number } {
    return { connection: this.#options.connection, queue: delivery.queue, id: delivery.id, attempt: delivery.attempts };
  }
}
