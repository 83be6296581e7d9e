import { constants } from 'node:os';
import { WorkerStopTimeoutError } from '../errors.js';
import { WorkerInterruptedError } from './cli-errors.js';
import { formatException } from '../failed/failed-job-store.js';
import type { QueueDriver, WaitingJobs } from '../driver/queue-driver.js';
import type { Worker, WorkerStopReason, WorkerSummary } from '../worker/worker.js';
import type { JobFinished, JobProgress, JobStarted } from '../worker/worker-events.js';
import type { CliIo, CliSignal } from './cli-io.js';
import { errorRecord, formatDuration, formatTime, type CliOutput } from './cli-output.js';

/** How a session ended. */
export interface SessionEnd {
  /** The exit code: 0 once the worker stopped with no job left running. */
  readonly code: number;
  /**
   * Whether jobs were still running: after a second signal, or a stop that gave up waiting.
   * Closing the connections then would wait for them, so the process exits without it.
   */
  readonly jobsLeft: boolean;
}

/** How a session runs, besides its worker. */
export interface SessionSettings {
  /** How long the worker's stop waits, for the message on a signal. */
  readonly stopTimeoutMs: number;
  /** The worker's `--memory` limit in MB, for the message when it stops for it. */
  readonly memory?: number;
  /** The worker's driver, asked at start and at an empty stop where else jobs wait. */
  readonly driver?: QueueDriver;
}

/** The exit code of a worker that stopped for using more memory than `--memory`, as Laravel's. */
export const MEMORY_EXIT_CODE = 12;

const REASONS: Record<WorkerStopReason, string> = {
  stopped: 'stopped on a signal',
  'max-jobs': 'reached --max-jobs',
  'max-time': 'reached --max-time',
  empty: 'the queues are empty',
  shutdown: 'the application shut down',
  memory: 'its memory is over --memory',
  restart: 'queue:restart signalled a restart',
};

/** What became of a job's attempt, as a `processed` record's `outcome`. */
export type JobOutcome = 'done' | 'deleted' | 'released' | 'retrying' | 'failed';

function outcomeOf(job: JobFinished): JobOutcome {
  if (job.status === 'completed') return 'done';
  if (job.status === 'released') return job.error === undefined ? 'released' : 'retrying';
  return job.status;
}

function outcomeText(job: JobFinished, outcome: JobOutcome): string {
  const after = job.delayMs === undefined || job.delayMs === 0 ? '' : ` in ${formatDuration(job.delayMs)}`;
  if (outcome === 'retrying') return `FAILED, RETRYING${after}`;
  if (outcome === 'released') return `RELEASED${after === '' ? '' : `, BACK${after}`}`;
  return outcome.toUpperCase();
}

/**
 * Runs one worker for `epilogue queue:work`: prints a line as each job starts, reports progress
 * and ends, says where jobs wait that the worker does not take (at start and at an empty stop),
 * turns the first SIGTERM or SIGINT into a graceful `worker.stop()` and a second into an
 * immediate exit (`io.exit`). A stop that gave up waiting for running jobs exits at once too,
 * with code 1; a stop for `--memory` ends with code 12.
 */
export class WorkerSession {
  readonly #worker: Worker;
  readonly #io: CliIo;
  readonly #output: CliOutput;
  readonly #stopTimeoutMs: number;
  readonly #settings: SessionSettings;
  readonly #running = new Set<string>();
  #signals = 0;
  #interrupt!: (code: number) => void;
  readonly #interrupted = new Promise<number>((resolve) => (this.#interrupt = resolve));

  /**
   * @param worker - The worker, not started yet.
   * @param io - Where signals come from, and how to exit at once.
   * @param output - Where the lines go.
   * @param settings - The stop timeout, the memory limit and the driver.
   */
  constructor(worker: Worker, io: CliIo, output: CliOutput, settings: SessionSettings) {
    this.#worker = worker;
    this.#io = io;
    this.#output = output;
    this.#stopTimeoutMs = settings.stopTimeoutMs;
    this.#settings = settings;
  }

  /**
   * Runs the worker until it stops, or until a second signal.
   *
   * @returns The exit code, and whether jobs were left running.
   */
  async run(): Promise<SessionEnd> {
    const listeners = [
      this.#worker.on('processing', (job) => this.#processing(job)),
      this.#worker.on('progress', (job) => this.#progress(job)),
      this.#worker.on('processed', (job) => this.#processed(job)),
      this.#worker.on('waiting', ({ dueAt }) => this.#waiting(dueAt)),
      this.#io.onSignal?.((signal) => this.#signal(signal)),
    ];
    this.#started();
    // Asked while the worker starts: a driver slow to answer (Redis unreachable) does not hold it.
    const atStart = this.#waitingElsewhere(false);
    try {
      return await Promise.race([
        this.#worker.run().then(async (summary) => {
          await atStart;
          if (summary.reason === 'empty') await this.#waitingElsewhere(true);
          return this.#stopped(summary);
        }),
        this.#interrupted.then((code) => ({ code, jobsLeft: true })),
      ]);
    } finally {
      for (const off of listeners) off?.();
    }
  }

  #started(): void {
    const { connection, queues } = this.#worker;
    const stop = this.#io.onSignal === undefined ? '' : ' Ctrl+C or SIGTERM stops it once the running jobs finish.';
    this.#output.print(`Working the ${queues.join(', ')} queue(s) of the "${connection}" connection.${stop}`, {
      event: 'started',
      connection,
      queues,
    });
  }

  // Where jobs wait that this worker does not take, at start; at an empty stop, also the delayed
  // jobs of its own queues it did not wait for. A driver that cannot tell (or fails to) says nothing.
  async #waitingElsewhere(atStop: boolean): Promise<void> {
    const { driver } = this.#settings;
    const waiting = await driver?.waiting?.().catch(() => undefined);
    if (waiting === undefined) return;
    const served = new Set(this.#worker.queues);
    const unserved = waiting.filter((entry) => !served.has(entry.queue));
    if (unserved.length > 0) {
      const jobs = unserved.reduce((sum, entry) => sum + entry.ready + entry.delayed, 0);
      const queues = [...this.#worker.queues, ...unserved.map((entry) => entry.queue)].join(',');
      this.#output.print(
        `${jobs} job(s) wait on queues this worker does not take from: ${unserved.map(describeWaiting).join(', ')}. ` +
          `To run them too: --queue ${queues}`,
        { event: 'unserved', queues: unserved.map(waitingRecord) },
      );
    }
    const later = atStop ? waiting.filter((entry) => served.has(entry.queue) && entry.delayed > 0) : [];
    if (later.length > 0) {
      this.#output.print(`Delayed jobs not due yet: ${later.map(describeWaiting).join(', ')}.`, {
        event: 'delayed',
        queues: later.map(waitingRecord),
      });
    }
  }

  #waiting(dueAt: number): void {
    const at = new Date(dueAt);
    this.#output.print(`No job is ready; waiting for a delayed job due at ${formatTime(at)} (--stop-when-empty).`, {
      event: 'waiting',
      dueAt: at.toISOString(),
    });
  }

  #processing(job: JobStarted): void {
    this.#running.add(job.id);
    const now = new Date();
    this.#output.print(`${this.#head(now, job)}  RUNNING`, { event: 'processing', ...this.#fields(now, job) });
  }

  #progress(job: JobProgress): void {
    const now = new Date();
    const percent = Math.round(job.percent * 100) / 100;
    this.#output.print(`${this.#head(now, job)}  ${percent}%`, {
      event: 'progress',
      ...this.#fields(now, job),
      percent,
    });
  }

  #processed(job: JobFinished): void {
    this.#running.delete(job.id);
    const finished = new Date();
    const outcome = outcomeOf(job);
    const line = `${this.#head(finished, job)}  ${formatDuration(job.durationMs)}  ${outcomeText(job, outcome)}`;
    const error = job.error === undefined ? '' : `\n    ${formatException(job.error).split('\n')[0]}`;
    this.#output.print(line + error, {
      event: 'processed',
      ...this.#fields(finished, job),
      status: job.status,
      outcome,
      durationMs: Math.round(job.durationMs * 100) / 100,
      ...(job.delayMs === undefined ? {} : { delayMs: job.delayMs }),
      ...(job.error === undefined ? {} : { error: errorRecord(job.error) }),
    });
  }

  #head(time: Date, job: JobStarted): string {
    const attempt = job.attempts > 1 ? `  (attempt ${job.attempts})` : '';
    return `${formatTime(time)}  ${job.name}  ${job.id}${attempt}`;
  }

  #fields(time: Date, job: JobStarted) {
    const { id, name, queue, attempts } = job;
    return { time: time.toISOString(), id, name, queue, attempts };
  }

  #signal(signal: CliSignal): void {
    if (++this.#signals === 1) {
      const running = this.#running.size;
      this.#output.print(
        `Stopping (${signal}): waiting for ${running} running job(s), up to ${this.#stopTimeoutMs / 1000} s. ` +
          'Send the signal again to exit at once.',
        { event: 'stopping', signal, running },
      );
      void this.#worker.stop();
      return;
    }
    // By convention a process ended by a signal exits with 128 + the signal's number.
    const code = 128 + constants.signals[signal];
    this.#output.error(WorkerInterruptedError.bySignal(signal, [...this.#running]));
    this.#io.exit?.(code);
    this.#interrupt(code);
  }

  #stopped(summary: WorkerSummary): SessionEnd {
    const { rssBytes } = summary;
    const rssMb = rssBytes === undefined ? undefined : Math.round((rssBytes / 1024 / 1024) * 10) / 10;
    const memory = rssMb === undefined ? '' : ` (${rssMb} MB, the limit is ${this.#settings.memory} MB)`;
    this.#output.print(`Worker stopped: ${REASONS[summary.reason]}${memory} (${summary.jobs} job(s) run).`, {
      event: 'stopped',
      reason: summary.reason,
      jobs: summary.jobs,
      ...(rssMb === undefined ? {} : { rssMb }),
    });
    // A worker over its memory exits 12, as Laravel's, so that a supervisor can tell why.
    const code = summary.reason === 'memory' ? MEMORY_EXIT_CODE : 0;
    if (!summary.stopTimedOut) return { code, jobsLeft: false };
    // The worker's stop gave up waiting (it reported that to the app too): the jobs it left, or
    // a driver that cannot reach its server, would keep the process alive and the connections
    // from closing.
    this.#output.error(WorkerStopTimeoutError.after(this.#stopTimeoutMs, [...this.#running]));
    this.#io.exit?.(1);
    return { code: 1, jobsLeft: true };
  }
}

function describeWaiting(entry: WaitingJobs): string {
  const parts = [entry.ready > 0 ? `${entry.ready} ready` : '', entry.delayed > 0 ? `${entry.delayed} delayed` : ''];
  const due = entry.nextDueAt === undefined ? '' : `, the next due at ${formatTime(new Date(entry.nextDueAt))}`;
  return `${entry.queue} (${parts.filter((part) => part !== '').join(', ')}${due})`;
}

function waitingRecord(entry: WaitingJobs) {
  const { queue, ready, delayed, nextDueAt } = entry;
  return { queue, ready, delayed, ...(nextDueAt === undefined ? {} : { nextDueAt: new Date(nextDueAt).toISOString() }) };
}
