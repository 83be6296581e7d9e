import type { Application } from '@epilogue/core';
import { queueManager } from '../configure-queues.js';
import type { Consumer, Delivery, DeliveryOutcome, QueueDriver } from '../driver/queue-driver.js';
import { InvalidQueueConfigError, WorkerAlreadyStartedError, WorkerStopTimeoutError } from '../errors.js';
import { watchQueueDepth } from '../telemetry/messaging.js';
import { setLongTimeout, type LongTimer } from '../timers.js';
import type { JobRunner } from './job-runner.js';
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
}

/** Why a worker stopped. */
export type WorkerStopReason = 'stopped' | 'max-jobs' | 'max-time' | 'empty' | 'shutdown';

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
 * `maxJobs`/`maxTime`/`stopWhenEmpty` limit. Stopping takes no new jobs and waits (up to
 * `stopTimeoutMs`) for the running ones.
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
  readonly #options: WorkerOptions;
  readonly #running = new Set<string>();
  #state: 'idle' | 'running' | 'stopped' = 'idle';
  #consumer: Consumer | undefined;
  #unwatchDepth: (() => void) | undefined;
  #stopping: Promise<void> | undefined;
  #taken = 0;
  #ran = 0;
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
    this.#runner = manager.createRunner(this.connection);
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
    const { concurrency = 1, maxTime, stopWhenEmpty = false } = this.#options;
    this.#consumer = this.#driver.consume(this.queues, this.#handle, {
      concurrency,
      onDrained: stopWhenEmpty ? () => void this.#stop('empty') : undefined,
      onError: (error, delivery) =>
        this.#app.report(error, { phase: 'queue-driver', connection: this.connection, id: delivery?.id }),
    });
    if (maxTime !== undefined) this.#maxTimer = setLongTimeout(() => void this.#stop('max-time'), maxTime * 1000);
    this.#unwatchDepth = watchQueueDepth(this.#driver, this.connection, this.queues);
    return this.#done;
  }

  /**
   * Stops gracefully: takes no new jobs, waits for the running ones (up to `stopTimeoutMs`, then
   * reports those still running), then `run()` resolves. Later calls return the same promise.
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
    return (this.#stopping = this.#performStop(reason));
  }

  async #performStop(reason: WorkerStopReason): Promise<void> {
    this.#maxTimer?.clear();
    this.#offShutdown?.();
    this.#unwatchDepth?.();
    let stopTimedOut = false;
    if (this.#consumer !== undefined) {
      const timeoutMs = this.#options.stopTimeoutMs ?? 30_000;
      if (!(await settlesWithin(this.#consumer.stop(), timeoutMs))) {
        stopTimedOut = true;
        const error = WorkerStopTimeoutError.after(timeoutMs, [...this.#running]);
        this.#app.report(error, { phase: 'worker-stop', connection: this.connection });
      }
    }
    this.#state = 'stopped';
    this.#finish({ reason, jobs: this.#ran, stopTimedOut });
  }

  readonly #handle = async (delivery: Delivery): Promise<DeliveryOutcome> => {
    // Counted before the job runs, so that the stop for maxJobs takes effect before the driver
    // hands out another job.
    if (++this.#taken === this.#options.maxJobs) void this.#stop('max-jobs');
    this.#running.add(delivery.id);
    const { id, queue, attempts } = delivery;
    this.events.emit('processing', { id, queue, attempts }, this.#reportListenerError);
    const started = performance.now();
    try {
      const report = await this.#runner.run(delivery);
      const durationMs = performance.now() - started;
      const status = STATUS[report.outcome.type];
      const finished = { id, queue, attempts, name: report.name, status, durationMs, error: report.error };
      this.events.emit('processed', finished, this.#reportListenerError);
      return report.outcome;
    } finally {
      this.#ran++;
      this.#running.delete(delivery.id);
    }
  };
}

function checkOptions(options: WorkerOptions, queues: readonly string[]): void {
  const { concurrency, maxJobs, maxTime, stopTimeoutMs } = options;
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
