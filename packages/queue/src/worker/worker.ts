import type { Application } from '@epilogue/core';
import type { AtomicStore } from '../atomics/atomic-store.js';
import { queueManager } from '../configure-queues.js';
import type { Consumer, Delivery, DeliveryOutcome, QueueDriver } from '../driver/queue-driver.js';
import { InvalidQueueConfigError, WorkerAlreadyStartedError, WorkerStopTimeoutError } from '../errors.js';
import { watchQueueDepth } from '../telemetry/messaging.js';
import { LONGEST_TIMER_MS, setLongTimeout, type LongTimer } from '../timers.js';
import type { JobRunner } from './job-runner.js';
import { DEFAULT_RESTART_CHECK_MS, watchRestartSignal } from './restart-signal.js';
import { WorkerEvents, type JobStatus, type WorkerEventListener, type WorkerEventMap } from './worker-events.js';

/** Options of `new Worker()`. */
export interface WorkerOptions {
  /** The connection to work; the default connection when omitted. */
  connection?: string;
  /** The queues to take jobs from, the first preferred. Default: the default queue. */
  queues?: readonly string[];
  /** How many jobs run at once. Default: 1. */
  concurrency?: number;
  /** Stop after this many jobs were taken (jobs already running finish). */
  maxJobs?: number;
  /** Stop after this many seconds. */
  maxTime?: number;
  /** Stop when no job is ready on the queues and none is running. */
  stopWhenEmpty?: boolean;
  /** How long a stop waits for running jobs before it reports them and returns. Default: 30,000 ms. */
  stopTimeoutMs?: number;
  /** Attempts for the jobs that declare no `tries` (0: no limit). Default: 1. A job's own `tries` wins. */
  tries?: number;
  /**
   * Seconds to wait before retrying a job that threw, for the jobs that declare no `backoff`:
   * one number, or one per retry (`[5, 30]`: 5 s, then 30 s for every later retry). Default: 0.
   */
  backoff?: number | readonly number[];
  /** Seconds an attempt may run, for the jobs that declare no `timeout`. Default: no limit. */
  timeout?: number;
  /**
   * Megabytes of resident memory (RSS) above which the worker stops, gracefully, once the job
   * that ended finds it over: it takes no new job and lets the running ones finish.
   * `run()` then resolves with reason `'memory'`. Default: no limit.
   */
  memory?: number;
  /**
   * Seconds to wait before looking for a job again when none was ready, for drivers that poll
   * (the BullMQ driver: its longest blocking wait); a driver woken by pushes ignores it.
   * Default: the driver's own.
   */
  sleep?: number;
  /**
   * Seconds to pause between jobs: a job taken after another ended waits until this long after
   * that end before it starts. A stop ends the pause, and the job taken runs. Default: 0.
   */
  rest?: number;
  /**
   * How often to read the connection's restart signal (`epilogue queue:restart`,
   * `manager.signalRestart()`), in milliseconds. When it changed since the worker started, the
   * worker stops as `stop()` does, with the reason `restart`. Default: 1,000 ms.
   */
  restartCheckMs?: number;
}

/** Why a worker stopped. */
export type WorkerStopReason = 'stopped' | 'max-jobs' | 'max-time' | 'empty' | 'shutdown' | 'memory' | 'restart';

/**
 * With `stopWhenEmpty`, how far ahead a worker looks for delayed jobs on its queues before it
 * stops: one due within this many milliseconds (a job released to retry after its backoff, a
 * dispatch with a short delay) is waited for; one due later is left for another worker.
 */
export const STOP_WHEN_EMPTY_HORIZON_MS = 60_000;

// How soon a drained worker looks again when its queues still show a ready job (one pushed as
// the driver reported the queues empty, which it is about to deliver).
const READY_RECHECK_MS = 200;

/** What `worker.run()` resolves to. */
export interface WorkerSummary {
  /** Why it stopped. */
  readonly reason: WorkerStopReason;
  /** How many job attempts it ran. */
  readonly jobs: number;
  /**
   * Whether the stop gave up waiting (`stopTimeoutMs`) for the driver to finish: jobs still
   * running, or a driver that could not let go (Redis unreachable). The process should exit
   * without waiting for its connections.
   */
  readonly stopTimedOut: boolean;
  /** For reason `'memory'`: the resident memory (RSS) that was over the limit, in bytes. */
  readonly rssBytes?: number;
}

const STATUS: Record<DeliveryOutcome['type'], JobStatus> = {
  complete: 'completed',
  delete: 'deleted',
  release: 'released',
  fail: 'failed',
};

/**
 * Takes jobs from the queues of one connection and runs them, each in its own `job` scope,
 * through its middleware, the bus pipes and its handler, with retries, timeouts and the failed
 * store. `run()` resolves once the worker stopped: after `stop()`, `app.shutdown()`, or a
 * `maxJobs`/`maxTime`/`stopWhenEmpty` limit, or once the connection's restart signal changed
 * (`epilogue queue:restart`, read every `restartCheckMs`). Stopping takes no new jobs and waits
 * (up to `stopTimeoutMs`) for the running ones.
 *
 * @example
 * const worker = new Worker(app, { connection: 'memory', queues: ['high', 'default'], concurrency: 8 });
 * worker.on('processed', (job) => console.log(job.name, job.status, `${job.durationMs} ms`));
 * process.once('SIGTERM', () => void worker.stop());
 * await worker.run();
 */
export class Worker {
  /** The worker's events (`processing`, `processed`). */
  readonly events = new WorkerEvents();
  /** The connection this worker takes jobs from. */
  readonly connection: string;
  /** The queues it takes jobs from, the first preferred. */
  readonly queues: readonly string[];

  readonly #app: Application;
  readonly #driver: QueueDriver;
  readonly #runner: JobRunner;
  readonly #atomics: AtomicStore;
  readonly #options: WorkerOptions;
  readonly #running = new Set<string>();
  #state: 'idle' | 'running' | 'stopped' = 'idle';
  #consumer: Consumer | undefined;
  #unwatchDepth: (() => void) | undefined;
  #unwatchRestart: (() => void) | undefined;
  #stopping: Promise<void> | undefined;
  #taken = 0;
  #ran = 0;
  #rssBytes: number | undefined;
  #lastEndedAt: number | undefined;
  // Jobs this worker released, and when each is due again: what it knows of delayed jobs when its
  // driver cannot list them (kept only then).
  readonly #released = new Map<string, number>();
  #emptyTimer: LongTimer | undefined;
  #waitingFor: number | undefined;
  #stopRequested!: () => void;
  readonly #stopRequestedPromise = new Promise<void>((resolve) => (this.#stopRequested = resolve));
  #maxTimer: LongTimer | undefined;
  #offShutdown: (() => unknown) | undefined;
  #finish!: (summary: WorkerSummary) => void;
  readonly #done = new Promise<WorkerSummary>((resolve) => (this.#finish = resolve));
  readonly #reportListenerError = (error: unknown) => this.#app.report(error, { phase: 'worker-event' });

  /**
   * @param app - A configured application (see `configureQueues()`).
   * @param options - Connection, queues, concurrency and limits.
   * @throws {QueuesNotConfiguredError} Before `configureQueues()`.
   * @throws {UnknownConnectionError} For a connection that is not configured.
   * @throws {InvalidQueueConfigError} For unusable options, or a connection that runs jobs on push (sync).
   */
  constructor(app: Application, options: WorkerOptions = {}) {
    const manager = queueManager(app);
    this.#app = app;
    this.#options = options;
    this.connection = options.connection ?? manager.defaultConnection;
    this.queues = options.queues ?? [manager.defaultQueue];
    this.#driver = manager.driver(this.connection);
    if (this.#driver.runsOnPush) {
      throw InvalidQueueConfigError.because(
        `The "${this.connection}" connection runs jobs as they are dispatched; a worker has nothing to take from it.`,
      );
    }
    checkOptions(options, this.queues);
    const { tries, backoff, timeout } = options;
    const defaults = { tries, backoff: typeof backoff === 'number' ? [backoff] : backoff, timeout };
    this.#runner = manager.createRunner(this.connection, false, defaults);
    this.#atomics = manager.atomics(this.connection);
  }

  /**
   * Adds a listener to a worker event.
   *
   * @returns A function that removes it.
   */
  on<E extends keyof WorkerEventMap>(event: E, listener: WorkerEventListener<E>): () => void {
    return this.events.on(event, listener);
  }

  /**
   * Starts taking jobs.
   *
   * @returns Resolves once the worker has stopped, with why and how many jobs it ran.
   * @throws {WorkerAlreadyStartedError} When it was started (or stopped) before.
   */
  async run(): Promise<WorkerSummary> {
    if (this.#state !== 'idle') throw new WorkerAlreadyStartedError();
    this.#state = 'running';
    this.#offShutdown = this.#app.onShutdownStart(() => void this.#stop('shutdown'));
    const { concurrency = 1, maxTime, stopWhenEmpty = false, sleep } = this.#options;
    this.#consumer = this.#driver.consume(this.queues, this.#handle, {
      concurrency,
      ...(sleep === undefined ? {} : { sleepMs: sleep * 1000 }),
      onDrained: stopWhenEmpty ? () => this.#drained() : undefined,
      onError: (error, delivery) =>
        this.#app.report(error, { phase: 'queue-driver', connection: this.connection, id: delivery?.id }),
    });
    if (maxTime !== undefined) this.#maxTimer = setLongTimeout(() => void this.#stop('max-time'), maxTime * 1000);
    this.#unwatchDepth = watchQueueDepth(this.#driver, this.connection, this.queues);
    this.#unwatchRestart = watchRestartSignal(this.#atomics, {
      intervalMs: this.#options.restartCheckMs ?? DEFAULT_RESTART_CHECK_MS,
      onRestart: () => void this.#stop('restart'),
      onError: (error) => this.#app.report(error, { phase: 'worker-restart-check', connection: this.connection }),
    });
    return this.#done;
  }

  /**
   * Stops gracefully: takes no new jobs, waits for the running ones (up to `stopTimeoutMs`, then
   * reports those still running), then `run()` resolves. Later calls return the same promise.
   * Never rejects: a driver that fails to stop is reported.
   */
  stop(): Promise<void> {
    return this.#stop('stopped');
  }

  /** How many jobs are running now. */
  get runningJobs(): number {
    return this.#running.size;
  }

  #stop(reason: WorkerStopReason): Promise<void> {
    if (this.#stopping !== undefined) return this.#stopping;
    this.#stopRequested();
    return (this.#stopping = this.#performStop(reason));
  }

  // With stopWhenEmpty: nothing is ready and nothing runs. The worker stops unless a delayed job
  // of its queues is due within STOP_WHEN_EMPTY_HORIZON_MS (or a job is ready after all); then it
  // looks again when that job is due, unless the driver delivered a job meanwhile (it calls
  // onDrained again once that job ran).
  #drained(): void {
    const taken = this.#taken;
    this.#emptyTimer?.clear();
    void this.#dueSoon().then((due) => {
      if (this.#taken !== taken || this.#stopping !== undefined) return;
      if (due === undefined) return void this.#stop('empty');
      if (due.at !== undefined && due.at !== this.#waitingFor) {
        this.#waitingFor = due.at;
        this.events.emit('waiting', { dueAt: due.at }, this.#reportListenerError);
      }
      this.#emptyTimer = setLongTimeout(() => this.#drained(), due.waitMs);
    });
  }

  // How long to wait for a job of this worker's queues that is ready or due soon (and when that
  // delayed job is due); undefined when there is none.
  async #dueSoon(): Promise<{ waitMs: number; at?: number } | undefined> {
    const now = Date.now();
    let dueAt = Infinity;
    const waiting = await this.#driver.waiting?.().catch((error: unknown) => {
      this.#app.report(error, { phase: 'queue-driver', connection: this.connection });
      return undefined;
    });
    if (waiting !== undefined) {
      for (const entry of waiting) {
        if (!this.queues.includes(entry.queue)) continue;
        if (entry.ready > 0) return { waitMs: READY_RECHECK_MS };
        if (entry.nextDueAt !== undefined) dueAt = Math.min(dueAt, entry.nextDueAt);
      }
    } else {
      for (const [id, at] of this.#released) {
        // Due a while ago and not delivered here again: another worker took it.
        if (at < now - 1000) this.#released.delete(id);
        else dueAt = Math.min(dueAt, at);
      }
    }
    if (dueAt - now > STOP_WHEN_EMPTY_HORIZON_MS) return undefined;
    // A little after it is due, for the driver to deliver it first; one already due but not yet
    // delivered is looked at again shortly.
    return { waitMs: Math.max(dueAt - now, 0) + 50, at: dueAt };
  }

  // With `rest`: a job taken after another ended waits until `rest` seconds after that end, or
  // until a stop.
  #resting(): boolean {
    const { rest = 0 } = this.#options;
    return rest > 0 && this.#lastEndedAt !== undefined;
  }

  async #rest(): Promise<void> {
    const { rest = 0 } = this.#options;
    if (this.#lastEndedAt === undefined) return;
    const waitMs = this.#lastEndedAt + rest * 1000 - Date.now();
    if (waitMs <= 0) return;
    let timer: LongTimer | undefined;
    const rested = new Promise<void>((resolve) => (timer = setLongTimeout(resolve, waitMs)));
    try {
      await Promise.race([rested, this.#stopRequestedPromise]);
    } finally {
      timer?.clear();
    }
  }

  // With `memory`: once a job ended, a worker over the limit stops taking jobs.
  #checkMemory(): void {
    const { memory } = this.#options;
    if (memory === undefined || this.#stopping !== undefined) return;
    const rss = process.memoryUsage.rss();
    if (rss <= memory * 1024 * 1024) return;
    this.#rssBytes = rss;
    void this.#stop('memory');
  }

  async #performStop(reason: WorkerStopReason): Promise<void> {
    this.#emptyTimer?.clear();
    this.#maxTimer?.clear();
    this.#offShutdown?.();
    this.#unwatchDepth?.();
    this.#unwatchRestart?.();
    let stopTimedOut = false;
    if (this.#consumer !== undefined) {
      const timeoutMs = this.#options.stopTimeoutMs ?? 30_000;
      const stopped = this.#consumer.stop().catch((error: unknown) => this.#app.report(error, { phase: 'worker-stop', connection: this.connection }));
      if (!(await settlesWithin(stopped, timeoutMs))) {
        stopTimedOut = true;
        const error = WorkerStopTimeoutError.after(timeoutMs, [...this.#running]);
        this.#app.report(error, { phase: 'worker-stop', connection: this.connection });
      }
    }
    this.#state = 'stopped';
    const rss = this.#rssBytes;
    this.#finish({ reason, jobs: this.#ran, stopTimedOut, ...(rss === undefined ? {} : { rssBytes: rss }) });
  }

  readonly #handle = async (delivery: Delivery): Promise<DeliveryOutcome> => {
    // Counted before the job runs, so that the stop for maxJobs takes effect before the driver
    // hands out another job.
    if (++this.#taken === this.#options.maxJobs) void this.#stop('max-jobs');
    this.#running.add(delivery.id);
    this.#released.delete(delivery.id);
    this.#emptyTimer?.clear();
    const { id, queue, attempts } = delivery;
    let name = '';
    // The job's progress goes to the worker's listeners, then to the driver.
    const progress = (percent: number) => {
      if (this.events.has('progress')) this.events.emit('progress', { id, queue, attempts, name, percent }, this.#reportListenerError);
      return delivery.progress?.(percent);
    };
    const onStart = (named: string) => {
      name = named;
      if (this.events.has('processing')) this.events.emit('processing', { id, queue, attempts, name }, this.#reportListenerError);
    };
    try {
      if (this.#resting()) await this.#rest();
      const started = performance.now();
      const report = await this.#runner.run({ ...delivery, progress }, { onStart });
      const durationMs = performance.now() - started;
      const { outcome } = report;
      const status = STATUS[outcome.type];
      const delayMs = outcome.type === 'release' ? outcome.delayMs : undefined;
      if (delayMs !== undefined && this.#driver.waiting === undefined) this.#released.set(id, Date.now() + delayMs);
      if (this.events.has('processed')) {
        const finished = { id, queue, attempts, name: report.name, status, durationMs, error: report.error, delayMs };
        this.events.emit('processed', finished, this.#reportListenerError);
      }
      return outcome;
    } finally {
      this.#ran++;
      this.#running.delete(delivery.id);
      this.#lastEndedAt = Date.now();
      this.#checkMemory();
    }
  };
}

function checkOptions(options: WorkerOptions, queues: readonly string[]): void {
  const { concurrency, maxJobs, maxTime, stopTimeoutMs, tries, backoff, timeout, memory, sleep, rest, restartCheckMs } = options;
  const problems: string[] = [];
  if (queues.length === 0 || !queues.every((queue) => typeof queue === 'string' && queue !== '')) {
    problems.push('queues must be a non-empty list of queue names');
  }
  if (concurrency !== undefined && !(Number.isSafeInteger(concurrency) && concurrency >= 1)) {
    problems.push(`concurrency must be a whole number ≥ 1 (got ${concurrency})`);
  }
  if (maxJobs !== undefined && !(Number.isSafeInteger(maxJobs) && maxJobs >= 1)) {
    problems.push(`maxJobs must be a whole number ≥ 1 (got ${maxJobs})`);
  }
  if (maxTime !== undefined && !(Number.isFinite(maxTime) && maxTime > 0)) {
    problems.push(`maxTime must be seconds > 0 (got ${maxTime})`);
  }
  if (stopTimeoutMs !== undefined && !(Number.isFinite(stopTimeoutMs) && stopTimeoutMs >= 0)) {
    problems.push(`stopTimeoutMs must be milliseconds ≥ 0 (got ${stopTimeoutMs})`);
  }
  if (tries !== undefined && !(Number.isSafeInteger(tries) && tries >= 0)) {
    problems.push(`tries must be a whole number ≥ 0, 0 for no limit (got ${tries})`);
  }
  const backoffs = typeof backoff === 'number' ? [backoff] : backoff;
  const isSeconds = (value: unknown) => typeof value === 'number' && Number.isFinite(value) && value >= 0;
  if (backoffs !== undefined && !(Array.isArray(backoffs) && backoffs.length > 0 && backoffs.every(isSeconds))) {
    problems.push(`backoff must be seconds ≥ 0, or a non-empty list of them (got ${JSON.stringify(backoff)})`);
  }
  for (const [name, value] of Object.entries({ timeout, memory, sleep })) {
    if (value !== undefined && !(Number.isFinite(value) && value > 0)) problems.push(`${name} must be a number > 0 (got ${value})`);
  }
  if (rest !== undefined && !isSeconds(rest)) problems.push(`rest must be seconds ≥ 0 (got ${rest})`);
  if (
    restartCheckMs !== undefined &&
    !(Number.isFinite(restartCheckMs) && restartCheckMs > 0 && restartCheckMs <= LONGEST_TIMER_MS)
  ) {
    problems.push(`restartCheckMs must be milliseconds > 0 and at most ${LONGEST_TIMER_MS} (got ${restartCheckMs})`);
  }
  if (problems.length > 0) throw InvalidQueueConfigError.because(`Worker options: ${problems.join('; ')}.`);
}

async function settlesWithin(promise: Promise<unknown>, timeoutMs: number): Promise<boolean> {
  let timer: LongTimer | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setLongTimeout(() => resolve(false), timeoutMs)));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    timer?.clear();
  }
}
