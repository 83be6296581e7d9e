import { realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { MessageChannel, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import type { Application } from '@epilogue/core';
import {
  DriverClosedError,
  InvalidQueueConfigError,
  JobTimedOutError,
  MemoryDriver,
  NoConsumerError,
} from '@epilogue/queue';
import {
  appModulePath,
  setLongTimeout,
  type AtomicStore,
  type ConsumeOptions,
  type Consumer,
  type Delivery,
  type DeliveryHandler,
  type DeliveryOutcome,
  type DriverPushOptions,
  type FailedJobStore,
  type LongTimer,
  type PushReceipt,
  type QueueDriver,
} from '@epilogue/queue/driver';
import { Piscina } from 'piscina';
import { InvalidThreadsOptionError, JobsLeftOnCloseError, NotOnMainThreadError, ThreadCrashedError } from './errors.js';
import {
  fromWire,
  outcomeFromWire,
  toWire,
  type ThreadMessage,
  type ThreadResult,
  type ThreadTask,
  type WarmTask,
  type WireError,
} from './protocol.js';
import { currentTask, hostsModule } from './thread-host.js';

/** Options of `new WorkerThreadsDriver()`. */
export interface WorkerThreadsDriverOptions {
  /**
   * The built JavaScript module each thread loads: a path (relative to the current directory)
   * or a `file:` URL. Its `app` export, else its default export, is the `Application` or a
   * function (possibly async) that returns one, configured with this connection and the job
   * classes: the rule of `epilogue queue:work --app`.
   */
  app: string | URL;
  /** How many threads run jobs, each one job at a time. Default: the CPU count less one, at least 1. */
  threads?: number;
  /**
   * Queues in the order their jobs are preferred. Every other queue a job is pushed to is run
   * too, as it first appears. Default: none preferred.
   */
  queues?: readonly string[];
  /** Where jobs that failed for good are recorded, on the main thread. Default: a new `MemoryFailedJobStore`. */
  failedJobs?: FailedJobStore;
  /**
   * Where job middleware and unique jobs keep their locks and counters. Threads do not share
   * memory, so the default (each application's `MemoryAtomicStore`) holds within one thread
   * only; pass a shared store (`RedisAtomicStore`) when a lock must hold across threads.
   */
  atomics?: AtomicStore;
  /**
   * How long `close()` (and so the end of `app.shutdown()`) lets the jobs that are ready run
   * before it stops taking them; it then waits for the running ones. Default: 10,000 ms.
   */
  closeTimeoutMs?: number;
  /** Memory limits of each thread (`worker_threads` `resourceLimits`); a thread that passes them is replaced. */
  resourceLimits?: ResourceLimits;
}

/** How long after a job's timeout its thread is stopped, when the job did not give up by itself. */
export const TIMEOUT_GRACE_MS = 100;

// The piscina entry point; from src/ (tests) and dist/ alike, the built one.
const THREAD_ENTRY = join(__dirname, '..', 'dist', 'thread.js');

interface PoolConsumer {
  readonly consumer: Consumer;
  // Nothing of its queues is ready or running (set by onDrained, cleared by a delivery).
  drained: boolean;
}

type Lost = { readonly timedOut: boolean; readonly error: WireError };
type Attempt = { readonly outcome: DeliveryOutcome } | { readonly lost: Lost };

/**
 * A queue connection whose jobs run on a pool of worker threads (piscina), for CPU-bound work
 * (rendering PDFs, resizing images, hashing) that would otherwise hold up every request on the
 * event loop. The main thread keeps the queue (delays, attempts, releases, the failed store) and
 * only encodes and posts payloads; each thread loads the `app` module and runs each job there
 * through the same runner a `Worker` uses, with `tries`, `backoff`, `timeout`, `failed()` and
 * chains. A job that runs past its timeout has its thread stopped; a thread that dies is
 * replaced; either way the job is handled by its `tries`.
 *
 * Jobs start running once the driver is a connection of `configureQueues()`: no `queue:work`
 * is needed. The pool's threads start with the first job (or `start()`), and end at the end of
 * `app.shutdown()` or when the driver is closed, once the ready jobs ran (up to `closeTimeoutMs`). Jobs are kept in memory, as by `MemoryDriver`: delayed jobs
 * are lost then, and reported.
 *
 * @example
 * // app.ts: built to dist/app.js, imported by the server and loaded by every thread
 * export const app = new Application();
 * registerJobs(app, [RenderInvoice]);
 * configureQueues(app, {
 *   default: 'redis',
 *   connections: {
 *     redis: new BullMQDriver({ connection }),
 *     threads: new WorkerThreadsDriver({ app: new URL(import.meta.url), threads: 2 }),
 *   },
 * });
 * // RenderInvoice has `connection = 'threads'`: RenderInvoice.dispatch(id) runs on a thread.
 */
export class WorkerThreadsDriver implements QueueDriver {
  readonly runsOnPush = false;
  readonly failedJobs: FailedJobStore;
  readonly atomics: AtomicStore | undefined;
  /** The `file:` URL of the module each thread loads. */
  readonly module: string;
  /** How many threads run jobs. */
  readonly threads: number;

  readonly #store: MemoryDriver;
  readonly #preferred: readonly string[];
  readonly #resourceLimits: ResourceLimits | undefined;
  // Inside a thread of its own pool, the driver the module builds sends pushes to the main thread.
  readonly #inThread: boolean;
  readonly #closeTimeoutMs: number;
  readonly #consumers: PoolConsumer[] = [];
  readonly #consumed = new Set<string>();
  #running = 0;
  #onIdle: (() => void) | undefined;
  #app: Application | undefined;
  #connection: string | undefined;
  #pool: Piscina | undefined;
  #closing: Promise<void> | undefined;

  /**
   * @param options - The app module, the number of threads, queues, failed store, atomics.
   * @throws {InvalidThreadsOptionError} For an option it cannot work with, or an `app` that names no file.
   */
  constructor(options: WorkerThreadsDriverOptions) {
    const { app, threads, queues, failedJobs, atomics, resourceLimits, closeTimeoutMs } = checkOptions(options);
    const path = appModulePath(app);
    if (!isFile(path)) throw InvalidThreadsOptionError.noModule(String(app), path);
    // The real path: a thread's import.meta.url names the module by it, symbolic links resolved.
    this.module = pathToFileURL(realpathSync(path)).href;
    this.threads = threads ?? Math.max(1, availableParallelism() - 1);
    this.#preferred = queues ?? [];
    this.#resourceLimits = resourceLimits;
    this.#closeTimeoutMs = closeTimeoutMs ?? 10_000;
    this.#store = new MemoryDriver({ failedJobs });
    this.failedJobs = this.#store.failedJobs;
    this.atomics = atomics;
    this.#inThread = hostsModule(this.module);
  }

  /**
   * Makes the pool run the connection's jobs, and closes the driver at the end of the
   * application's shutdown. Called by `configureQueues()`.
   *
   * @throws {InvalidQueueConfigError} When the driver is already a connection.
   */
  attach(app: Application, connection: string): void {
    if (this.#connection !== undefined) {
      throw InvalidQueueConfigError.because(
        `This WorkerThreadsDriver is already the "${this.#connection}" connection; each connection needs a driver of its own.`,
      );
    }
    this.#app = app;
    this.#connection = connection;
    if (this.#inThread) return;
    if (this.#preferred.length > 0) this.#consume(this.#preferred);
    app.closeOnShutdown(this, `the "${connection}" worker threads`);
  }

  /**
   * Starts the threads now and has each load the app module, rather than with the first job
   * (which then waits for that, a few hundred milliseconds): call it at boot, or before a
   * benchmark. Resolves once every thread is ready.
   *
   * @throws {NoConsumerError} Before the driver is a connection of `configureQueues()`.
   * @throws {NotOnMainThreadError} On a thread.
   * @throws {DriverClosedError} After `close()`.
   * @throws What loading the module threw (an `AppModuleError`, a `ThreadModuleError`).
   */
  async start(): Promise<void> {
    if (this.#inThread) throw NotOnMainThreadError.cannot('start threads');
    if (this.#closing !== undefined) throw DriverClosedError.forDriver('WorkerThreadsDriver');
    if (this.#connection === undefined) throw NoConsumerError.forDriver('WorkerThreadsDriver');
    const pool = this.#ensurePool();
    const warm = (): Promise<ThreadResult> =>
      pool.run({ kind: 'warm', module: this.module, connection: this.#connection! } satisfies WarmTask);
    const results = await Promise.all(Array.from({ length: this.threads }, warm));
    const failed = results.find((result) => result.outcome.type === 'fail');
    if (failed?.outcome.type === 'fail') throw fromWire(failed.outcome.error);
  }

  /**
   * Queues a payload; on the main thread, a thread runs it once it is ready. From a job running
   * on one of the threads (the next job of a chain, a job it dispatches), the payload is sent
   * to the main thread's queue.
   *
   * @throws {DriverClosedError} After `close()`.
   * @throws {NotOnMainThreadError} On a thread, outside any job it runs.
   */
  async push(body: string, options: DriverPushOptions): Promise<PushReceipt> {
    if (this.#inThread) {
      const task = currentTask.getStore();
      if (task === undefined) throw NotOnMainThreadError.cannot('push a job from outside the jobs it runs');
      return task.push(body, options);
    }
    if (this.#closing !== undefined) throw DriverClosedError.forDriver('WorkerThreadsDriver');
    return this.#enqueue(body, options);
  }

  // Pushes from the threads are taken while the driver closes: a chain goes on.
  async #enqueue(body: string, options: DriverPushOptions): Promise<PushReceipt> {
    const receipt = await this.#store.push(body, options);
    if (!this.#consumed.has(options.queue)) this.#consume([options.queue]);
    return receipt;
  }

  /**
   * Delivers this connection's jobs to `handler` on the main thread, as any driver does (a
   * `Worker` could run them there). The pool consumes through it too.
   *
   * @throws {NotOnMainThreadError} On a thread.
   */
  consume(queues: readonly string[], handler: DeliveryHandler, options: ConsumeOptions): Consumer {
    if (this.#inThread) throw NotOnMainThreadError.cannot('consume jobs');
    return this.#store.consume(queues, handler, options);
  }

  /**
   * How many jobs wait on `queue`, ready or delayed; jobs handed to the pool are not counted.
   *
   * @throws {NotOnMainThreadError} On a thread.
   */
  size(queue: string): Promise<number> {
    if (this.#inThread) return Promise.reject(NotOnMainThreadError.cannot('count jobs'));
    return this.#store.size(queue);
  }

  /**
   * Takes no more jobs from the main thread, lets the ready ones run (those that jobs on the
   * threads push too) for up to `closeTimeoutMs`, waits for the running ones, then ends the
   * threads. Delayed jobs, and ready ones when time ran out, are dropped and, when the driver is a
   * connection, reported as `JobsLeftOnCloseError`. Later calls return the same promise.
   */
  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  async #close(): Promise<void> {
    if (this.#inThread) return;
    await this.#drain();
    await Promise.all(this.#consumers.map(({ consumer }) => consumer.stop()));
    const waiting = new Map<string, number>();
    for (const queue of this.#consumed) {
      const count = await this.#store.size(queue);
      if (count > 0) waiting.set(queue, count);
    }
    await this.#store.close();
    if (waiting.size > 0) {
      this.#app?.report(JobsLeftOnCloseError.count(this.#connection!, waiting), { phase: 'queue-close' });
    }
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.destroy();
  }

  #drain(): Promise<void> {
    if (this.#consumers.length === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setLongTimeout(() => done(), this.#closeTimeoutMs);
      const done = () => {
        timer.clear();
        this.#onIdle = undefined;
        resolve();
      };
      this.#onIdle = done;
      this.#checkIdle();
    });
  }

  // Checked a turn later: the memory store hands out jobs to all its consumers in one pass, so
  // that one consumer being drained while another is about to get a job is not taken for idle.
  #checkIdle(): void {
    if (this.#onIdle === undefined) return;
    setImmediate(() => {
      if (this.#running === 0 && this.#consumers.every((pool) => pool.drained)) this.#onIdle?.();
    });
  }

  // Pool consumers exist only once attached, so that a driver that is not a connection (the
  // conformance suite's) is a plain store. Each takes at most one job per thread; more would
  // only wait inside piscina.
  #consume(queues: readonly string[]): void {
    const app = this.#app;
    if (app === undefined) return;
    for (const queue of queues) this.#consumed.add(queue);
    const connection = this.#connection;
    const onError = (error: unknown, delivery?: Delivery) =>
      app.report(error, { phase: 'queue-driver', connection, id: delivery?.id });
    const onDrained = () => {
      pool.drained = true;
      this.#checkIdle();
    };
    const handler = (delivery: Delivery) => {
      pool.drained = false;
      return this.#runOnThread(delivery);
    };
    const pool: PoolConsumer = {
      consumer: this.#store.consume(queues, handler, { concurrency: this.threads, onError, onDrained }),
      drained: false,
    };
    this.#consumers.push(pool);
  }

  async #runOnThread(delivery: Delivery): Promise<DeliveryOutcome> {
    this.#running++;
    try {
      return await this.#attempt(delivery);
    } finally {
      this.#running--;
    }
  }

  async #attempt(delivery: Delivery): Promise<DeliveryOutcome> {
    const attempt = await this.#post('run', delivery);
    if ('outcome' in attempt) return attempt.outcome;
    // The attempt's thread is gone: a fresh one decides what its tries allow, calls failed()...
    const settled = await this.#post('lost', delivery, attempt.lost);
    if ('outcome' in settled) return settled.outcome;
    // ...unless that one dies too: then the job fails for good with what ended the attempt.
    const error = fromWire(attempt.lost.error);
    this.#app?.report(fromWire(settled.lost.error), {
      phase: 'queue-driver',
      connection: this.#connection,
      id: delivery.id,
    });
    return { type: 'fail', error };
  }

  async #post(kind: ThreadTask['kind'], delivery: Delivery, lost?: Lost): Promise<Attempt> {
    const pool = this.#ensurePool();
    const { port1, port2 } = new MessageChannel();
    const abort = new AbortController();
    let timer: LongTimer | undefined;
    let timedOutAfter: number | undefined;
    port1.on('message', (message: ThreadMessage) => {
      if (message.type === 'push') {
        this.#pushFrom(port1, message);
      } else if (kind === 'run' && message.timeoutMs !== null) {
        // The thread cannot stop a job that keeps it busy: it is stopped from here.
        const timeoutMs = message.timeoutMs;
        timer = setLongTimeout(() => {
          timedOutAfter = timeoutMs;
          abort.abort();
        }, timeoutMs + TIMEOUT_GRACE_MS);
      }
    });
    const task: ThreadTask = { kind, module: this.module, connection: this.#connection!, delivery, lost, port: port2 };
    try {
      const result = (await pool.run(task, { signal: abort.signal, transferList: [port2] })) as ThreadResult;
      return { outcome: outcomeFromWire(result.outcome) };
    } catch (error) {
      if (timedOutAfter !== undefined) {
        const timedOut = JobTimedOutError.after(`The job ${delivery.id}`, timedOutAfter / 1000);
        return { lost: { timedOut: true, error: toWire(timedOut) } };
      }
      return { lost: { timedOut: false, error: toWire(ThreadCrashedError.during(delivery.id, error)) } };
    } finally {
      timer?.clear();
      port1.close();
    }
  }

  #pushFrom(port: MessagePort, message: Extract<ThreadMessage, { type: 'push' }>): void {
    const answer = (reply: { type: 'pushed'; id: string } | { type: 'push-failed'; error: WireError }) =>
      port.postMessage({ ...reply, seq: message.seq });
    this.#enqueue(message.body, message.options).then(
      (receipt) => answer({ type: 'pushed', id: receipt.id }),
      (error: unknown) => answer({ type: 'push-failed', error: toWire(error) }),
    );
  }

  #ensurePool(): Piscina {
    if (this.#pool !== undefined) return this.#pool;
    const pool = new Piscina({
      filename: THREAD_ENTRY,
      minThreads: this.threads,
      maxThreads: this.threads,
      concurrentTasksPerWorker: 1,
      // Between tasks, a thread's event loop keeps running (timers, sockets of its app).
      atomics: 'disabled',
      resourceLimits: this.#resourceLimits,
    });
    // A thread that dies between tasks (an error thrown from a timer a job left) is replaced.
    pool.on('error', (error: unknown) => this.#app?.report(error, { phase: 'queue-thread', connection: this.#connection }));
    return (this.#pool = pool);
  }
}

function checkOptions(options: WorkerThreadsDriverOptions): WorkerThreadsDriverOptions {
  if (typeof options !== 'object' || options === null) {
    throw InvalidThreadsOptionError.forOption('options', "an object such as { app: './dist/app.js' }", options);
  }
  const { app, threads, queues, failedJobs, atomics, resourceLimits, closeTimeoutMs } = options;
  const isModule = app instanceof URL ? app.protocol === 'file:' : typeof app === 'string' && app !== '';
  if (!isModule) throw InvalidThreadsOptionError.forOption('app', 'a module path or a file: URL', app);
  if (threads !== undefined && !(Number.isSafeInteger(threads) && threads >= 1)) {
    throw InvalidThreadsOptionError.forOption('threads', 'a whole number ≥ 1', threads);
  }
  const names = queues === undefined || (Array.isArray(queues) && queues.every((q) => typeof q === 'string' && q !== ''));
  if (!names) throw InvalidThreadsOptionError.forOption('queues', 'a list of queue names', queues);
  if (failedJobs !== undefined && typeof failedJobs?.log !== 'function') {
    throw InvalidThreadsOptionError.forOption('failedJobs', 'a FailedJobStore', failedJobs);
  }
  if (atomics !== undefined && typeof atomics?.acquire !== 'function') {
    throw InvalidThreadsOptionError.forOption('atomics', 'an AtomicStore', atomics);
  }
  if (closeTimeoutMs !== undefined && !(Number.isFinite(closeTimeoutMs) && closeTimeoutMs >= 0)) {
    throw InvalidThreadsOptionError.forOption('closeTimeoutMs', 'milliseconds ≥ 0', closeTimeoutMs);
  }
  if (resourceLimits !== undefined && (typeof resourceLimits !== 'object' || resourceLimits === null)) {
    throw InvalidThreadsOptionError.forOption('resourceLimits', 'worker_threads resource limits', resourceLimits);
  }
  return options;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
