import { queueManager } from '../../configure-queues.js';
import { Worker, type WorkerOptions } from '../../worker/worker.js';
import { appOption, connectionOption, jsonOption, type Command, type CommandContext } from '../command.js';
import { loadApp } from '../load-app.js';
import {
  listOption,
  amountOption,
  secondsListOption,
  secondsOption,
  stringOption,
  wholeNumberOption,
} from '../parse-command-line.js';
import { MEMORY_EXIT_CODE, WorkerSession } from '../worker-session.js';

const DEFAULT_STOP_TIMEOUT_S = 30;

/** `epilogue queue:work`: runs a `Worker` until it stops, then closes the queue connections and shuts the app down. */
export const queueWork: Command = {
  name: 'queue:work',
  summary: 'Run a worker: take jobs from the queues and run them until it stops',
  usage: 'epilogue queue:work --app <path> [options]',
  description:
    'Takes jobs from the queues of one connection and runs them, printing a line when a job starts,\n' +
    'reports progress and ends. SIGTERM or SIGINT (Ctrl+C) stops it gracefully: it takes no new job,\n' +
    'lets the running ones finish (up to --stop-timeout), closes the queue connections and exits 0.\n' +
    `A second signal exits at once. Over --memory it stops the same way and exits ${MEMORY_EXIT_CODE}.`,
  options: [
    appOption,
    connectionOption,
    {
      name: 'queue',
      type: 'string',
      value: '<names>',
      description: "The queues, comma-separated, the first preferred (default: the app's default queue)",
    },
    { name: 'concurrency', type: 'string', value: '<n>', description: 'How many jobs run at once (default: 1)' },
    { name: 'max-jobs', type: 'string', value: '<n>', description: 'Stop after taking this many jobs' },
    { name: 'max-time', type: 'string', value: '<seconds>', description: 'Stop after this many seconds' },
    {
      name: 'stop-when-empty',
      type: 'boolean',
      description: 'Stop when no job is ready or running, and no delayed job of its queues is due within 60 s',
    },
    {
      name: 'stop-timeout',
      type: 'string',
      value: '<seconds>',
      description: `How long a stop waits for running jobs (default: ${DEFAULT_STOP_TIMEOUT_S})`,
    },
    {
      name: 'tries',
      type: 'string',
      value: '<n>',
      description: 'Attempts for jobs that set no `tries` (0: no limit; default: 1)',
    },
    {
      name: 'backoff',
      type: 'string',
      value: '<seconds>',
      description: 'Seconds before retrying a job that threw and sets no `backoff`: 5, or 5,30 (default: 0)',
    },
    {
      name: 'timeout',
      type: 'string',
      value: '<seconds>',
      description: 'Seconds an attempt may run, for jobs that set no `timeout` (default: no limit)',
    },
    {
      name: 'memory',
      type: 'string',
      value: '<MB>',
      description: `Stop gracefully, exit code ${MEMORY_EXIT_CODE}, once a job ends with the process's RSS above this`,
    },
    {
      name: 'sleep',
      type: 'string',
      value: '<seconds>',
      description: "Longest wait before looking for jobs again when none is ready (drivers that poll; default: the driver's)",
    },
    { name: 'rest', type: 'string', value: '<seconds>', description: 'Pause between jobs (default: 0)' },
    jsonOption,
  ],
  positionals: false,
  run: work,
};

async function work(context: CommandContext): Promise<number> {
  // Options are checked before the app is loaded: a typo should not wait for the app to boot.
  const options = workerOptions(context);
  const app = await loadApp(context, queueWork.name);
  const manager = queueManager(app);
  let jobsLeft = false;
  try {
    const worker = new Worker(app, options);
    const settings = { stopTimeoutMs: options.stopTimeoutMs, memory: options.memory, driver: manager.driver(worker.connection) };
    const end = await new WorkerSession(worker, context.io, context.output, settings).run();
    jobsLeft = end.jobsLeft;
    return end.code;
  } finally {
    // With jobs still running the process exits at once: closing would wait for them.
    if (!jobsLeft) {
      try {
        await manager.close();
      } finally {
        // The app's own onShutdown hooks close what it opened (database pools, clients), so that
        // the process can end by itself.
        await app.shutdown({ timeoutMs: options.stopTimeoutMs });
      }
    }
  }
}

function workerOptions({ options }: CommandContext): WorkerOptions & { stopTimeoutMs: number } {
  return {
    connection: stringOption(options, 'connection'),
    queues: listOption(options, 'queue'),
    concurrency: wholeNumberOption(options, 'concurrency'),
    maxJobs: wholeNumberOption(options, 'max-jobs'),
    maxTime: secondsOption(options, 'max-time'),
    stopWhenEmpty: options['stop-when-empty'] === true,
    stopTimeoutMs: (secondsOption(options, 'stop-timeout', true) ?? DEFAULT_STOP_TIMEOUT_S) * 1000,
    tries: wholeNumberOption(options, 'tries', true),
    backoff: secondsListOption(options, 'backoff'),
    timeout: secondsOption(options, 'timeout'),
    memory: amountOption(options, 'memory', 'megabytes'),
    sleep: secondsOption(options, 'sleep'),
    rest: secondsOption(options, 'rest', true),
  };
}
