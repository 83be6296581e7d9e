import { constants } from 'node:os';
import { WorkerInterruptedError, WorkerStopTimeoutError } from '../errors.js';
import { formatException } from '../failed/failed-job-store.js';
import type { Worker, WorkerStopReason, WorkerSummary } from '../worker/worker.js';
import type { JobFinished } from '../worker/worker-events.js';
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

const REASONS: Record<WorkerStopReason, string> = {
  stopped: 'stopped on a signal',
  'max-jobs': 'reached --max-jobs',
  'max-time': 'reached --max-time',
  empty: 'the queues are empty',
  shutdown: 'the application shut down',
  restart: 'queue:restart signalled a restart',
};

/**
 * Runs one worker for `epilogue queue:work`: prints a line per job it processed, turns the
 * first SIGTERM or SIGINT into a graceful `worker.stop()` and a second into an immediate exit
 * (`io.exit`). A stop that gave up waiting for running jobs exits at once too, with code 1.
 */
export class WorkerSession {
  readonly #worker: Worker;
  readonly #io: CliIo;
  readonly #output: CliOutput;
  readonly #stopTimeoutMs: number;
  readonly #running = new Set<string>();
  #signals = 0;
  #interrupt!: (code: number) => void;
  readonly #interrupted = new Promise<number>((resolve) => (this.#interrupt = resolve));

  /**
   * @param worker - The worker, not started yet.
   * @param io - Where signals come from, and how to exit at once.
   * @param output - Where the lines go.
   * @param stopTimeoutMs - How long the worker's stop waits, for the message on a signal.
   */
  constructor(worker: Worker, io: CliIo, output: CliOutput, stopTimeoutMs: number) {
    this.#worker = worker;
    this.#io = io;
    this.#output = output;
    this.#stopTimeoutMs = stopTimeoutMs;
  }

  /**
   * Runs the worker until it stops, or until a second signal.
   *
   * @returns The exit code, and whether jobs were left running.
   */
  async run(): Promise<SessionEnd> {
    const listeners = [
      this.#worker.on('processing', (job) => this.#running.add(job.id)),
      this.#worker.on('processed', (job) => this.#processed(job)),
      this.#io.onSignal?.((signal) => this.#signal(signal)),
    ];
    this.#started();
    try {
      return await Promise.race([
        this.#worker.run().then((summary) => this.#stopped(summary)),
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

  #processed(job: JobFinished): void {
    this.#running.delete(job.id);
    const finished = new Date();
    const line = `${formatTime(finished)}  ${job.name}  ${job.id}  ${formatDuration(job.durationMs)}  ${job.status}`;
    const error = job.error === undefined ? '' : `\n    ${formatException(job.error).split('\n')[0]}`;
    this.#output.print(line + error, {
      event: 'processed',
      time: finished.toISOString(),
      id: job.id,
      name: job.name,
      queue: job.queue,
      attempts: job.attempts,
      status: job.status,
      durationMs: Math.round(job.durationMs * 100) / 100,
      ...(job.error === undefined ? {} : { error: errorRecord(job.error) }),
    });
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
    this.#output.print(`Worker stopped: ${REASONS[summary.reason]} (${summary.jobs} job(s) run).`, {
      event: 'stopped',
      reason: summary.reason,
      jobs: summary.jobs,
    });
    if (!summary.stopTimedOut) return { code: 0, jobsLeft: false };
    // The worker's stop gave up waiting (it reported that to the app too): the jobs it left, or
    // a driver that cannot reach its server, would keep the process alive and the connections
    // from closing.
    this.#output.error(WorkerStopTimeoutError.after(this.#stopTimeoutMs, [...this.#running]));
    this.#io.exit?.(1);
    return { code: 1, jobsLeft: true };
  }
}
