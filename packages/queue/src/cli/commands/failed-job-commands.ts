import { FailedJobNotFoundError } from '../../errors.js';
import { CliUsageError } from '../cli-errors.js';
import type { FailedJobRecord } from '../../failed/failed-job-store.js';
import type { FailedJobs } from '../../failed/failed-jobs.js';
import { isRecord } from '../../payload/job-payload.js';
import { appOption, connectionOption, jsonOption, type Command, type CommandContext } from '../command.js';
import { formatTable, formatTime, type CliOutput } from '../cli-output.js';
import { amountOption } from '../parse-command-line.js';
import { withQueueManager } from './with-queue-manager.js';

const options = [appOption, connectionOption, jsonOption];
const DEFAULT_PRUNE_HOURS = 24;

/** `epilogue queue:failed [id]`: lists the failed jobs of a connection, or shows one in full. */
export const queueFailed: Command = {
  name: 'queue:failed',
  summary: 'List the failed jobs, or show one in full',
  usage: 'epilogue queue:failed [id] --app <path> [options]',
  description:
    'Without an id, lists the failed jobs of the connection, oldest failure first: id, queue, job,\n' +
    'when it failed and the first line of its exception. With an id, shows that job in full: its\n' +
    'payload and the whole exception.',
  options,
  positionals: true,
  run: (context) =>
    withFailedJobs(context, queueFailed.name, async (failed, connection) => {
      const [id, ...extra] = context.positionals;
      if (extra.length > 0) throw CliUsageError.invalidArguments(queueFailed.name, 'Give at most one job id');
      if (id === undefined) await list(failed, connection, context.output);
      else show((await failed.show(id)) ?? notFound(id), context.output);
      return 0;
    }),
};

/** `epilogue queue:retry <id...|all>`: pushes failed jobs back onto their queues. */
export const queueRetry: Command = {
  name: 'queue:retry',
  summary: 'Push failed jobs back onto their queues',
  usage: 'epilogue queue:retry <id...|all> --app <path> [options]',
  description:
    'Pushes each failed job back onto the queue it failed on, with its attempts counted from zero,\n' +
    'and removes it from the failed store. `all` retries every failed job of the connection.',
  options,
  positionals: true,
  run: (context) =>
    withFailedJobs(context, queueRetry.name, async (failed, connection) => {
      const ids = await idsToRetry(context.positionals, failed);
      if (ids.length === 0) context.output.note(`No failed jobs to retry on the "${connection}" connection.`);
      return forEachId(ids, context.output, (id) => retryFailedJob(failed, id, context.output));
    }),
};

/**
 * Pushes one failed job back onto its queue and says so.
 *
 * @throws {FailedJobNotFoundError} When no failed job has this id.
 */
export async function retryFailedJob(failed: FailedJobs, id: string, output: CliOutput): Promise<void> {
  const record = (await failed.show(id)) ?? notFound(id);
  await failed.retry(id);
  const name = jobName(record);
  output.print(`Retried ${name} (${id}) onto the "${record.queue}" queue.`, { event: 'retried', id, name, queue: record.queue });
}

/** `epilogue queue:forget <id...>`: deletes failed jobs. */
export const queueForget: Command = {
  name: 'queue:forget',
  summary: 'Delete failed jobs',
  usage: 'epilogue queue:forget <id...> --app <path> [options]',
  description: 'Deletes the failed jobs with these ids from the failed store, without running them.',
  options,
  positionals: true,
  run: (context) =>
    withFailedJobs(context, queueForget.name, async (failed) => {
      if (context.positionals.length === 0) {
        throw CliUsageError.invalidArguments(queueForget.name, 'Give the id of the failed job to forget');
      }
      return forEachId(context.positionals, context.output, async (id) => {
        if (!(await failed.forget(id))) notFound(id);
        context.output.print(`Forgot failed job ${id}.`, { event: 'forgotten', id });
      });
    }),
};

/** `epilogue queue:flush`: deletes every failed job of a connection. */
export const queueFlush: Command = {
  name: 'queue:flush',
  summary: 'Delete every failed job',
  usage: 'epilogue queue:flush --app <path> [options]',
  description: 'Deletes every failed job of the connection from the failed store.',
  options,
  positionals: false,
  run: (context) =>
    withFailedJobs(context, queueFlush.name, async (failed, connection) => {
      const count = await failed.flush();
      context.output.print(`Flushed ${count} failed job(s) from the "${connection}" connection.`, {
        event: 'flushed',
        connection,
        count,
      });
      return 0;
    }),
};

/** `epilogue queue:prune-failed [--hours n]`: deletes the failed jobs older than n hours. */
export const queuePruneFailed: Command = {
  name: 'queue:prune-failed',
  summary: 'Delete the failed jobs older than some hours',
  usage: 'epilogue queue:prune-failed --app <path> [--hours <n>] [options]',
  description:
    'Deletes from the failed store of the connection the jobs that failed more than --hours ago\n' +
    `(default: ${DEFAULT_PRUNE_HOURS}), without running them, and prints how many. --hours 0 deletes every failed job.`,
  options: [
    appOption,
    connectionOption,
    {
      name: 'hours',
      type: 'string',
      value: '<n>',
      description: `Delete the jobs that failed more than this many hours ago (default: ${DEFAULT_PRUNE_HOURS})`,
    },
    jsonOption,
  ],
  positionals: false,
  run: (context) => {
    const hours = amountOption(context.options, 'hours', 'hours', true) ?? DEFAULT_PRUNE_HOURS;
    return withFailedJobs(context, queuePruneFailed.name, async (failed, connection) => {
      const before = new Date(Date.now() - hours * 3_600_000);
      const count = await failed.prune(before);
      context.output.print(
        `Pruned ${count} failed job(s) of the "${connection}" connection that failed before ` +
          `${formatTime(before)} (more than ${hours} hour(s) ago).`,
        { event: 'pruned', connection, count, hours, before: before.toISOString() },
      );
      return 0;
    });
  },
};

/**
 * Loads the app, hands the failed jobs of the chosen connection to `body`, and closes the queue
 * connections afterwards, so that a connection to a server does not keep the process alive.
 */
function withFailedJobs(
  context: CommandContext,
  command: string,
  body: (failed: FailedJobs, connection: string) => Promise<number>,
): Promise<number> {
  return withQueueManager(context, command, (manager, connection) => body(manager.failedJobs(connection), connection));
}

async function list(failed: FailedJobs, connection: string, output: CliOutput): Promise<void> {
  const records = await failed.list();
  if (records.length === 0) return output.note(`No failed jobs on the "${connection}" connection.`);
  const rows = records.map((record) => ({
    id: record.id,
    queue: record.queue,
    name: jobName(record),
    failedAt: new Date(record.failedAt),
    exception: record.exception.split('\n')[0],
  }));
  for (const row of rows) output.data({ ...row, failedAt: row.failedAt.toISOString() });
  output.note(
    formatTable([
      ['ID', 'QUEUE', 'JOB', 'FAILED AT', 'EXCEPTION'],
      ...rows.map((row) => [row.id, row.queue, row.name, formatTime(row.failedAt), row.exception]),
    ]),
  );
}

function show(record: FailedJobRecord, output: CliOutput): void {
  const failedAt = new Date(record.failedAt);
  const payload = parsePayload(record.payload);
  const text = [
    `ID         ${record.id}`,
    `Queue      ${record.queue}`,
    `Job        ${jobName(record)}`,
    `Failed at  ${formatTime(failedAt)}`,
    'Payload',
    indent(payload === undefined ? record.payload : JSON.stringify(payload, null, 2)),
    'Exception',
    indent(record.exception),
  ].join('\n');
  output.print(text, {
    id: record.id,
    queue: record.queue,
    name: jobName(record),
    failedAt: failedAt.toISOString(),
    payload: payload ?? record.payload,
    exception: record.exception,
  });
}

async function idsToRetry(positionals: readonly string[], failed: FailedJobs): Promise<readonly string[]> {
  if (positionals.length === 0) {
    throw CliUsageError.invalidArguments(queueRetry.name, 'Give the ids of the failed jobs to retry, or `all`');
  }
  if (!positionals.includes('all')) return positionals;
  if (positionals.length > 1) {
    throw CliUsageError.invalidArguments(queueRetry.name, 'Give either `all` or job ids, not both');
  }
  return (await failed.list()).map((record) => record.id);
}

/** Runs `action` for each id; an error is printed and the others still run. Exit code 1 if any failed. */
export async function forEachId(
  ids: readonly string[],
  output: CliOutput,
  action: (id: string) => Promise<void>,
): Promise<number> {
  let code = 0;
  for (const id of ids) {
    try {
      await action(id);
    } catch (error) {
      output.error(error);
      code = 1;
    }
  }
  return code;
}

function notFound(id: string): never {
  throw FailedJobNotFoundError.withId(id);
}

/** The job's display name from its payload, or `(unreadable payload)` when it cannot be read. */
function jobName(record: FailedJobRecord): string {
  const payload = parsePayload(record.payload);
  const name = payload?.displayName || payload?.job;
  return typeof name === 'string' && name !== '' ? name : '(unreadable payload)';
}

function parsePayload(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
