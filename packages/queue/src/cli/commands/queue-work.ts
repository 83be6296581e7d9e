import { queueManager } from '../../configure-queues.js';
import { Worker, type WorkerOptions } from '../../worker/worker.js';
import { appOption, connectionOption, jsonOption, type Command, type CommandContext } from '../command.js';
import { loadApp } from '../load-app.js';
import { listOption, secondsOption, stringOption, wholeNumberOption } from '../parse-command-line.js';
import { WorkerSession } from '../worker-session.js';

const DEFAULT_STOP_TIMEOUT_S = 30;

/** `epilogue queue:work`: runs a `Worker` until it stops, then closes the queue connections and shuts the app down. */
export const queueWork: Command = {
  name: 'queue:work',
  summary: 'Run a worker: take jobs from the queues and run them until it stops',
  usage: 'epilogue queue:work --app <path> [options]',
  description:
    'Takes jobs from the queues of one connection and runs them, printing a line per job. SIGTERM or\n' +
    'SIGINT (Ctrl+C) stops it gracefully: it takes no new job, lets the running ones finish (up to\n' +
    '--stop-timeout), closes the queue connections and exits 0. A second signal exits at once.',
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
    { name: 'stop-when-empty', type: 'boolean', description: 'Stop when no job is ready and none is running' },
    {
      name: 'stop-timeout',
      type: 'string',
      value: '<seconds>',
      description: `How long a stop waits for running jobs (default: ${DEFAULT_STOP_TIMEOUT_S})`,
    },
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
    const end = await new WorkerSession(worker, context.io, context.output, options.stopTimeoutMs).run();
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
  };
}
