import {
  holdUntilCommit,
  jobName,
  type BatchStore,
  type PushOptions,
  type QueueConnection,
  type QueueConnectionResolver,
} from '@epilogue/bus';
import { describeValue, spansObserved, traced, type Application, type TracedSpan } from '@epilogue/core';
import type { AtomicStore } from './atomics/atomic-store.js';
import { applicationMemoryStore } from './atomics/memory-atomic-store.js';
import { QueuedChains } from './chain/queued-chains.js';
import { systemClock, type Clock } from './clock.js';
import type { PushReceipt, QueueDriver } from './driver/queue-driver.js';
import {
  DriverCapabilityError,
  InvalidJobOptionError,
  InvalidQueueConfigError,
  UnknownConnectionError,
} from './errors.js';
import { FailedJobs } from './failed/failed-jobs.js';
import { PayloadCodec, type PayloadCodecOptions } from './payload/payload-codec.js';
import { QueueEvents, type QueueEventListener, type QueueEventMap } from './queue-events.js';
import { jobRegistry } from './registry/job-registry.js';
import { uniqueLockOf } from './unique/should-be-unique.js';
import { messagingAttributes } from './telemetry/messaging.js';
import { JobRunner, type AttemptDefaults } from './worker/job-runner.js';
import { signalRestart } from './worker/restart-signal.js';

/**
 * How many attempts in a row a job gets on a connection that runs jobs on push (sync), whatever
 * its `tries` or `retryUntil` say: the dispatching request waits for all of them.
 */
export const SYNC_MAX_ATTEMPTS = 10;

/** The queue configuration of an application, given to `configureQueues()`. */
export interface QueueConfig extends PayloadCodecOptions {
  /** The connection `dispatch()` uses for jobs that name none. */
  default: string;
  /**
   * The connections, by name, each a driver, or a driver with its settings:
   * `{ sync: new SyncDriver(), redis: { driver: new BullMQDriver(options), afterCommit: true } }`.
   */
  connections: Readonly<Record<string, QueueDriver | ConnectionConfig>>;
  /** The queue jobs go to when they name none. Default: `'default'`. */
  defaultQueue?: string;
  /**
   * Where job batches are kept. Every process that dispatches batches or works their jobs needs
   * the same store. Default: the default connection's driver's store (`BullMQDriver`: a
   * `RedisBatchStore` under its prefix), else the bus's `MemoryBatchStore` (this process only).
   */
  batches?: BatchStore;
}

/** A connection given with its settings, in `QueueConfig.connections`. */
export interface ConnectionConfig {
  /** The connection's driver. */
  driver: QueueDriver;
  /**
   * Hold every job pushed inside a database transaction until the outermost transaction commits,
   * and drop it on rollback (Laravel's `after_commit`), unless the job says `afterCommit = false`
   * or was dispatched with `beforeCommit()`. Default: false.
   */
  afterCommit?: boolean;
}

/**
 * The queues of one application: its connections (each a driver), the payload codec, and the
 * failed jobs of each connection. It is the bus's `QueueConnectionResolver`: `dispatch()` of a
 * `ShouldQueue` job turns the job into a payload here (failing at once when it cannot be) and
 * pushes it to the job's connection. Create it with `configureQueues()`.
 */
export class QueueManager implements QueueConnectionResolver {
  /** Reads and writes payloads for every connection. */
  readonly payloads: PayloadCodec;
  /** The clock that `retryUntil` is measured with. */
  readonly clock: Clock;
  /** The name of the default connection. */
  readonly defaultConnection: string;
  /** The queue for jobs that name none. */
  readonly defaultQueue: string;
  /** The manager's events (`skipped`). */
  readonly events = new QueueEvents();
  /** Moves chains along: what every `JobRunner` of this manager uses to push a chain's next or catch jobs. */
  readonly chains: QueuedChains;

  readonly #app: Application;
  readonly #drivers: ReadonlyMap<string, QueueDriver>;
  readonly #afterCommit: ReadonlySet<string>;
  readonly #connections = new Map<string, QueueConnection>();
  #closed: Promise<void> | undefined;
  readonly #reportListenerError = (error: unknown) => this.#app.report(error, { phase: 'queue-event' });

  /**
   * @param app - The application.
   * @param config - Connections, default connection and payload options.
   * @throws {InvalidQueueConfigError} When the configuration cannot work.
   */
  constructor(app: Application, config: QueueConfig) {
    this.#app = app;
    this.#drivers = checkConnections(config);
    this.#afterCommit = afterCommitConnections(config);
    this.defaultConnection = config.default;
    this.defaultQueue = config.defaultQueue ?? 'default';
    this.clock = config.clock ?? systemClock;
    this.payloads = new PayloadCodec(jobRegistry(app), config);
    const driverOf = (name?: string) => this.driver(name);
    this.chains = new QueuedChains(app, { codec: this.payloads, driver: driverOf, defaultQueue: this.defaultQueue });
    for (const [name, driver] of this.#drivers) {
      driver.attach?.(app, name);
      if (driver.runsOnPush) driver.consume([], this.createRunner(name, true).handle, { concurrency: Infinity });
    }
  }

  /**
   * The bus's view of a connection: `push(job, { queue, delay })` writes the payload and hands
   * it to the driver.
   *
   * @param name - The connection; the default one when omitted.
   * @throws {UnknownConnectionError} For a name that is not configured.
   */
  connection(name?: string): QueueConnection {
    const key = name ?? this.defaultConnection;
    let connection = this.#connections.get(key);
    if (connection === undefined) {
      const driver = this.driver(key);
      connection = { push: (job, options) => this.#push(key, driver, job, options) };
      this.#connections.set(key, connection);
    }
    return connection;
  }

  /**
   * The driver of a connection.
   *
   * @throws {UnknownConnectionError} For a name that is not configured.
   */
  driver(name?: string): QueueDriver {
    const key = name ?? this.defaultConnection;
    const driver = this.#drivers.get(key);
    if (driver === undefined) throw UnknownConnectionError.named(key, [...this.#drivers.keys()]);
    return driver;
  }

  /**
   * The store of locks and counters of a connection, used by job middleware and unique jobs:
   * its driver's `atomics`, else the application's `MemoryAtomicStore` (one for all such
   * connections, so that locks hold across them within the process).
   *
   * @throws {UnknownConnectionError} For a name that is not configured.
   */
  atomics(name?: string): AtomicStore {
    return this.driver(name).atomics ?? applicationMemoryStore(this.#app);
  }

  /**
   * Adds a listener to a manager event.
   *
   * @returns A function that removes it.
   */
  on<E extends keyof QueueEventMap>(event: E, listener: QueueEventListener<E>): () => void {
    return this.events.on(event, listener);
  }

  /** The names of the configured connections. */
  connectionNames(): string[] {
    return [...this.#drivers.keys()];
  }

  /**
   * The failed jobs of a connection.
   *
   * @throws {UnknownConnectionError} For a name that is not configured.
   */
  failedJobs(name?: string): FailedJobs {
    return new FailedJobs(this.driver(name), this.payloads);
  }

  /**
   * How many jobs wait on a queue of a connection.
   *
   * @param queue - The queue; the default queue when omitted.
   * @param connection - The connection; the default one when omitted.
   */
  size(queue?: string, connection?: string): Promise<number> {
    return this.driver(connection).size(queue ?? this.defaultQueue);
  }

  /**
   * Deletes the jobs that wait on one queue of a connection, ready or delayed: not its running
   * jobs, not other queues, not the failed store. A unique job deleted this way keeps its lock
   * until its `uniqueFor` ends, as in Laravel.
   *
   * @param queue - The queue; the default queue when omitted.
   * @param connection - The connection; the default one when omitted.
   * @returns How many jobs were deleted.
   * @throws {UnknownConnectionError} For a name that is not configured.
   * @throws {DriverCapabilityError} When the connection's driver has no `clear()`.
   */
  clear(queue?: string, connection?: string): Promise<number> {
    const name = connection ?? this.defaultConnection;
    const driver = this.driver(name);
    if (driver.clear === undefined) {
      const doing = 'delete the waiting jobs of a queue';
      throw DriverCapabilityError.missing(driver.constructor.name, name, 'clear()', doing);
    }
    return driver.clear(queue ?? this.defaultQueue);
  }

  /**
   * Signals every worker of a connection, in every process and on every machine that shares its
   * store, to finish its running jobs and stop (the reason `restart`), as \`epilogue
   * queue:restart\` does. The signal is kept in the connection's `atomics()` store: in Redis for
   * the BullMQ driver; in the application's memory for a driver without a store of its own
   * (the memory driver), where only workers of this application in this process see it. A worker
   * started afterwards keeps working.
   *
   * @param connection - The connection; the default one when omitted.
   * @returns When the restart was signalled.
   * @throws {UnknownConnectionError} For a name that is not configured.
   */
  async signalRestart(connection?: string): Promise<Date> {
    const at = Date.now();
    await signalRestart(this.atomics(connection), at);
    return new Date(at);
  }

  /**
   * Closes every driver, once: later calls return the same promise. `app.shutdown()` calls it
   * for a manager made by `configureQueues()`.
   */
  close(): Promise<void> {
    return (this.#closed ??= Promise.all([...this.#drivers.values()].map((driver) => driver.close())).then(() => undefined));
  }

  /**
   * A runner of delivered jobs for a connection; `Worker` uses one per worker.
   *
   * @param connection - The connection's name, for contexts and reports.
   * @param inline - Run in the caller's scope (sync) rather than a job scope of its own.
   * @param defaults - A worker's `tries`, `backoff` and `timeout` for jobs that set none.
   */
  createRunner(connection: string, inline = false, defaults?: AttemptDefaults): JobRunner {
    const maxAttempts = inline ? SYNC_MAX_ATTEMPTS : undefined;
    return new JobRunner(this.#app, {
      connection,
      codec: this.payloads,
      clock: this.clock,
      atomics: this.atomics(connection),
      chains: this.chains,
      inline,
      maxAttempts,
      defaults,
    });
  }

  // A unique job takes its lock before it is pushed, owned by its payload id so that only the
  // worker that finishes this very job frees it; a push that fails frees it at once.
  async #push(connection: string, driver: QueueDriver, job: object, options: PushOptions): Promise<unknown> {
    if (this.#afterCommit.has(connection) && (job as { afterCommit?: boolean }).afterCommit !== false) {
      const push = () => this.#push(connection, driver, job, options);
      if (holdUntilCommit(this.#app, push, { job: jobName(job), connection })) return undefined;
    }
    const queue = options.queue ?? this.defaultQueue;
    const placed = options.queue === queue ? (options as PushOptions & { queue: string }) : { ...options, queue };
    // Without a tracer provider or propagator no span would be seen: none is made, nor its attributes.
    if (!spansObserved()) return this.#write(connection, driver, job, placed, undefined);
    const attributes = messagingAttributes('send', connection, queue, jobName(job));
    return traced(`send ${queue}`, { kind: 'producer', attributes }, (span) => this.#write(connection, driver, job, placed, span));
  }

  // Writes the payload (carrying the send span's context, when there is one) and pushes it.
  async #write(
    connection: string,
    driver: QueueDriver,
    job: object,
    options: PushOptions & { queue: string },
    span: TracedSpan | undefined,
  ): Promise<unknown> {
    const chain = options.chain === undefined ? undefined : this.chains.encode(options.chain);
    const { payload, body } = this.payloads.encode(job, chain, span?.carrier());
    span?.setAttributes({ 'messaging.message.id': payload.id });
    const delay = options.delay ?? 0;
    if (typeof delay !== 'number' || !Number.isFinite(delay) || delay < 0) {
      throw InvalidJobOptionError.forOption(jobName(job), 'delay', 'seconds ≥ 0', delay);
    }
    const unique = uniqueLockOf(job, payload.job);
    const atomics = this.atomics(connection);
    if (unique !== undefined && !(await atomics.acquire(unique.key, payload.id, unique.ttlMs))) {
      this.events.emit('skipped', { job, connection, key: unique.key }, this.#reportListenerError);
      return null;
    }
    const queue = options.queue;
    let receipt: PushReceipt;
    try {
      receipt = await this.chains.push(driver, body, { id: payload.id, queue, delayMs: delay * 1000 });
    } catch (error) {
      if (unique !== undefined) await atomics.release(unique.key, payload.id);
      throw error;
    }
    return driver.runsOnPush ? receipt.result : receipt.id;
  }
}

function afterCommitConnections(config: QueueConfig): ReadonlySet<string> {
  const names = Object.entries(config.connections).filter(([, entry]) => isConnectionConfig(entry) && entry.afterCommit);
  return new Set(names.map(([name]) => name));
}

function isConnectionConfig(entry: unknown): entry is ConnectionConfig {
  return typeof entry === 'object' && entry !== null && 'driver' in entry && !('push' in entry);
}

function checkConnections(config: QueueConfig): ReadonlyMap<string, QueueDriver> {
  const entries = Object.entries(config?.connections ?? {}).map(([name, entry]): [string, QueueDriver] => [
    name,
    isConnectionConfig(entry) ? entry.driver : entry,
  ]);
  if (entries.length === 0) {
    throw InvalidQueueConfigError.because(
      'configureQueues() needs at least one connection: { connections: { memory: new MemoryDriver() } }.',
    );
  }
  for (const [name, driver] of entries) {
    const usable = typeof driver?.push === 'function' && typeof driver.consume === 'function';
    const setting = (config.connections[name] as Partial<ConnectionConfig>).afterCommit;
    if (usable && setting !== undefined && typeof setting !== 'boolean') {
      throw InvalidQueueConfigError.because(
        `The connection "${name}" has afterCommit ${describeValue(setting)}; it must be true or false.`,
      );
    }
    if (!usable) {
      throw InvalidQueueConfigError.because(`The connection "${name}" is not a queue driver; got ${describeValue(driver)}.`);
    }
  }
  const drivers = new Map(entries);
  if (config.default === undefined) {
    throw InvalidQueueConfigError.because(
      `configureQueues() needs \`default\`: the name of the connection dispatch() uses, one of ${[...drivers.keys()].join(', ')}.`,
    );
  }
  if (!drivers.has(config.default)) {
    throw InvalidQueueConfigError.because(
      `The default connection "${String(config.default)}" is not among the connections ` +
        `(${[...drivers.keys()].join(', ')}).`,
    );
  }
  return drivers;
}
