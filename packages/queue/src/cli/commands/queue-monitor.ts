import { CliUsageError } from '../cli-errors.js';
import type { QueueManager } from '../../queue-manager.js';
import { appOption, connectionOption, jsonOption, type Command, type CommandContext } from '../command.js';
import { formatTable } from '../cli-output.js';
import { wholeNumber, wholeNumberOption } from '../parse-command-line.js';
import { withQueueManager } from './with-queue-manager.js';

/** The threshold of a queue named without one and without `--max`, as Laravel's. */
export const DEFAULT_MONITOR_MAX = 1000;

/** The exit code of `queue:monitor` when a queue is at or above its threshold. */
export const MONITOR_ALERT_EXIT_CODE = 2;

/** One queue to monitor, as named on the command line. */
interface MonitoredQueue {
  readonly connection: string;
  readonly queue: string;
  readonly max: number;
}

/**
 * `epilogue queue:monitor <queues...>`: prints each queue's size against its threshold, and
 * exits 2 when any is at or above it.
 */
export const queueMonitor: Command = {
  name: 'queue:monitor',
  summary: 'Print the size of queues against thresholds; exit 2 when one is reached',
  usage: 'epilogue queue:monitor <[connection:]queue[=max]...> --app <path> [--max <n>] [options]',
  description:
    'Prints how many jobs wait on each queue, ready or delayed (running jobs are not counted),\n' +
    'against its threshold: OK below it, ALERT at or above it. Name queues as `default`, `images=50`\n' +
    '(its own threshold) or `redis:images` (on another connection), separated by spaces or commas.\n' +
    `A queue without its own threshold gets --max (default: ${DEFAULT_MONITOR_MAX}).\n` +
    '\n' +
    `Exit codes: 0 every queue is below its threshold; ${MONITOR_ALERT_EXIT_CODE} one or more are at or above it;\n` +
    '1 an error (an unknown connection, a queue that could not be read).',
  options: [
    appOption,
    connectionOption,
    {
      name: 'max',
      type: 'string',
      value: '<n>',
      description: `The threshold of the queues named without one (default: ${DEFAULT_MONITOR_MAX})`,
    },
    jsonOption,
  ],
  positionals: true,
  run: monitor,
};

function monitor(context: CommandContext): Promise<number> {
  const max = wholeNumberOption(context.options, 'max') ?? DEFAULT_MONITOR_MAX;
  const specs = queueSpecs(context.positionals);
  return withQueueManager(context, queueMonitor.name, async (manager, connection) => {
    const queues = specs.map((spec) => monitoredQueue(spec, connection, max));
    const rows = await sizes(manager, queues);
    for (const row of rows) {
      context.output.data({ event: 'queue', ...row, status: row.alert ? 'alert' : 'ok', counts: 'waiting+delayed' });
    }
    context.output.note(
      formatTable([
        ['CONNECTION', 'QUEUE', 'SIZE', 'MAX', 'STATUS'],
        ...rows.map((row) => [row.connection, row.queue, String(row.size), String(row.max), row.alert ? 'ALERT' : 'OK']),
      ]) + '\nSize: the waiting and delayed jobs of the queue (running jobs are not counted).',
    );
    return rows.some((row) => row.alert) ? MONITOR_ALERT_EXIT_CODE : 0;
  });
}

/** The queue names given, split at commas. */
function queueSpecs(positionals: readonly string[]): string[] {
  const specs = positionals.flatMap((given) => given.split(',')).map((spec) => spec.trim());
  if (specs.length === 0) {
    throw CliUsageError.invalidArguments(queueMonitor.name, 'Name the queues to monitor, such as `default images=50`');
  }
  if (specs.some((spec) => spec === '')) {
    throw CliUsageError.invalidArguments(queueMonitor.name, `An empty queue name in "${positionals.join(' ')}"`);
  }
  return specs;
}

/** `[connection:]queue[=max]`, with the defaults filled in. */
function monitoredQueue(spec: string, defaultConnection: string, defaultMax: number): MonitoredQueue {
  const match = /^(?:([^:=]+):)?([^:=]+)(?:=(.*))?$/.exec(spec);
  if (match === null) {
    throw CliUsageError.invalidArguments(
      queueMonitor.name,
      `"${spec}" is not a queue to monitor: write it as queue, queue=max or connection:queue=max`,
    );
  }
  const [, connection, queue, max] = match;
  return {
    connection: connection ?? defaultConnection,
    queue,
    max: max === undefined ? defaultMax : wholeNumber(max, `The threshold of "${queue}"`),
  };
}

/** Each queue's size, read in parallel; unknown connections are reported before any is read. */
async function sizes(manager: QueueManager, queues: readonly MonitoredQueue[]) {
  for (const { connection } of queues) manager.driver(connection);
  return Promise.all(
    queues.map(async (queue) => {
      const size = await manager.size(queue.queue, queue.connection);
      return { ...queue, size, alert: size >= queue.max };
    }),
  );
}
