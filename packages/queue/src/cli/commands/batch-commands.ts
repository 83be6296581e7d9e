import { BatchNotFoundError, Dispatcher, type Batch, type Batches } from '@epilogue/bus';
import type { Application } from '@epilogue/core';
import { queueManager } from '../../configure-queues.js';
import { CliUsageError } from '../cli-errors.js';
import { appOption, connectionOption, jsonOption, type CliOption, type Command, type CommandContext } from '../command.js';
import { formatTable, formatTime, type CliOutput } from '../cli-output.js';
import { loadApp } from '../load-app.js';
import { amountOption, stringOption, wholeNumberOption } from '../parse-command-line.js';
import { forEachId, retryFailedJob } from './failed-job-commands.js';

const HOUR_MS = 3_600_000;

/** `epilogue queue:batches`: lists the batches of the batch store, newest first. */
export const queueBatches: Command = {
  name: 'queue:batches',
  summary: 'List the job batches, newest first',
  usage: 'epilogue queue:batches --app <path> [options]',
  description:
    'Lists the batches of the batch store, newest first: id, name, total, pending and failed jobs,\n' +
    'progress, when each was created and when it finished or was cancelled. --after <id> shows the\n' +
    'page after that batch.',
  options: [
    appOption,
    { name: 'limit', type: 'string', value: '<n>', description: 'At most this many batches (default 50)' },
    { name: 'after', type: 'string', value: '<id>', description: 'Only batches created before the batch of this id' },
    jsonOption,
  ],
  positionals: false,
  run: (context) =>
    withBatches(context, queueBatches.name, async (batches) => {
      const limit = wholeNumberOption(context.options, 'limit') ?? 50;
      const after = stringOption(context.options, 'after');
      const listed = await batches.list({ limit, ...(after !== undefined && { after }) });
      if (listed.length === 0) {
        context.output.note(after === undefined ? 'No batches.' : `No batches after ${after}.`);
        return 0;
      }
      for (const batch of listed) context.output.data(batch.toJSON());
      context.output.note(
        formatTable([
          ['ID', 'NAME', 'TOTAL', 'PENDING', 'FAILED', 'PROGRESS', 'CREATED', 'FINISHED'],
          ...listed.map((batch) => [
            batch.id,
            batch.name,
            String(batch.totalJobs),
            String(batch.pendingJobs),
            String(batch.failedJobs),
            `${batch.progress()}%`,
            formatTime(batch.createdAt),
            ended(batch),
          ]),
        ]),
      );
      return 0;
    }),
};

/** `epilogue queue:batch <id>`: shows one batch, its counters and failed job ids. */
export const queueBatch: Command = {
  name: 'queue:batch',
  summary: 'Show one job batch: its counters and failed job ids',
  usage: 'epilogue queue:batch <id> --app <path> [options]',
  description:
    'Shows the batch with this id: its name, total, pending, processed and failed jobs, progress,\n' +
    'when it was created, finished and cancelled, and the ids of its failed jobs (for queue:failed).',
  options: [appOption, jsonOption],
  positionals: true,
  run: (context) =>
    withBatches(context, queueBatch.name, async (batches) => {
      const batch = await findBatch(batches, oneId(context, queueBatch.name));
      show(batch, context.output);
      return 0;
    }),
};

/** `epilogue queue:retry-batch <id...>`: pushes the failed jobs of batches back onto their queues. */
export const queueRetryBatch: Command = {
  name: 'queue:retry-batch',
  summary: "Push a batch's failed jobs back onto their queues",
  usage: 'epilogue queue:retry-batch <id...> --app <path> [options]',
  description:
    'Retries each failed job of the batch, as queue:retry does: pushed back onto the queue it failed\n' +
    'on, attempts counted from zero, and removed from the failed store. Once it succeeds it leaves\n' +
    "the batch's failed job ids. The failed jobs are looked up on --connection, else the batch's own\n" +
    "connection (onConnection()), else the app's default connection.",
  options: [appOption, connectionOption, jsonOption],
  positionals: true,
  run: (context) =>
    withBatches(context, queueRetryBatch.name, async (batches, app) => {
      if (context.positionals.length === 0) {
        throw CliUsageError.invalidArguments(queueRetryBatch.name, 'Give the id of the batch whose failed jobs to retry');
      }
      // Every batch is found first: an unknown id retries nothing.
      const manager = queueManager(app);
      const connections = new Map<string, string>();
      for (const batchId of context.positionals) {
        const batch = await findBatch(batches, batchId);
        const connection = stringOption(context.options, 'connection') ?? batchConnection(batch) ?? manager.defaultConnection;
        if (batch.failedJobIds.length === 0) {
          context.output.print(`Batch ${batch.id} has no failed jobs to retry.`, { event: 'nothing-to-retry', batchId });
        }
        for (const id of batch.failedJobIds) connections.set(id, connection);
      }
      return forEachId([...connections.keys()], context.output, (id) =>
        retryFailedJob(manager.failedJobs(connections.get(id)), id, context.output),
      );
    }),
};

/** `epilogue queue:prune-batches`: deletes old batches from the batch store. */
export const queuePruneBatches: Command = {
  name: 'queue:prune-batches',
  summary: 'Delete old job batches',
  usage: 'epilogue queue:prune-batches --app <path> [--hours <n>] [--unfinished <n>] [--cancelled <n>]',
  description:
    'Deletes the batches that finished (every job succeeded, or cancelled) more than --hours ago\n' +
    '(default 24). --unfinished <n> also deletes unfinished batches created more than n hours ago;\n' +
    '--cancelled <n> also deletes cancelled batches created more than n hours ago.',
  options: [
    appOption,
    hours('hours', 'Delete batches that finished more than this many hours ago (default 24)'),
    hours('unfinished', 'Also delete unfinished batches created more than this many hours ago'),
    hours('cancelled', 'Also delete cancelled batches created more than this many hours ago'),
    jsonOption,
  ],
  positionals: false,
  run: (context) =>
    withBatches(context, queuePruneBatches.name, async (batches) => {
      const ago = (name: string) => {
        const value = amountOption(context.options, name, 'hours', true);
        return value === undefined ? undefined : Date.now() - value * HOUR_MS;
      };
      const [finishedBefore, unfinishedBefore, cancelledBefore] = [ago('hours'), ago('unfinished'), ago('cancelled')];
      const store = batches.store;
      const finished = await store.prune(finishedBefore ?? Date.now() - 24 * HOUR_MS);
      const unfinished = unfinishedBefore === undefined ? undefined : await store.pruneUnfinished(unfinishedBefore);
      const cancelled = cancelledBefore === undefined ? undefined : await store.pruneCancelled(cancelledBefore);
      const parts = [`${finished} finished`];
      if (unfinished !== undefined) parts.push(`${unfinished} unfinished`);
      if (cancelled !== undefined) parts.push(`${cancelled} cancelled`);
      context.output.print(`Pruned ${parts.join(', ')} batch(es).`, {
        event: 'pruned',
        finished,
        ...(unfinished !== undefined && { unfinished }),
        ...(cancelled !== undefined && { cancelled }),
      });
      return 0;
    }),
};

/** The batch commands, in the order `epilogue --help` lists them. */
export const batchCommands: readonly Command[] = [queueBatches, queueBatch, queueRetryBatch, queuePruneBatches];

function hours(name: string, description: string): CliOption {
  return { name, type: 'string', value: '<n>', description };
}

/**
 * Loads the app, hands its batches to `body`, and closes the queue connections afterwards, so
 * that a connection to a server does not keep the process alive.
 *
 * @throws {QueuesNotConfiguredError} For an app without queues: its batches would be this process's only.
 */
async function withBatches(
  context: CommandContext,
  command: string,
  body: (batches: Batches, app: Application) => Promise<number>,
): Promise<number> {
  const app = await loadApp(context, command);
  const manager = queueManager(app);
  try {
    return await body(app.make(Dispatcher).batches, app);
  } finally {
    await manager.close();
  }
}

function oneId(context: CommandContext, command: string): string {
  const [id, ...extra] = context.positionals;
  if (id === undefined || extra.length > 0) throw CliUsageError.invalidArguments(command, 'Give one batch id');
  return id;
}

async function findBatch(batches: Batches, id: string): Promise<Batch> {
  const batch = await batches.find(id);
  if (batch === undefined) throw BatchNotFoundError.withId(id);
  return batch;
}

// The connection a queued batch was dispatched to with onConnection(), as the bus keeps it.
function batchConnection(batch: Batch): string | undefined {
  const connection = batch.options.connection;
  return typeof connection === 'string' && connection !== '' ? connection : undefined;
}

function ended(batch: Batch): string {
  if (batch.cancelledAt !== undefined) return `cancelled ${formatTime(batch.cancelledAt)}`;
  return batch.finishedAt === undefined ? '-' : formatTime(batch.finishedAt);
}

function show(batch: Batch, output: CliOutput): void {
  const time = (date: Date | undefined) => (date === undefined ? '-' : formatTime(date));
  const text = [
    `ID            ${batch.id}`,
    `Name          ${batch.name === '' ? '-' : batch.name}`,
    `Total jobs    ${batch.totalJobs}`,
    `Pending jobs  ${batch.pendingJobs}`,
    `Processed     ${batch.processedJobs()} (${batch.progress()}%)`,
    `Failed jobs   ${batch.failedJobs}`,
    `Created at    ${time(batch.createdAt)}`,
    `Finished at   ${time(batch.finishedAt)}`,
    `Cancelled at  ${time(batch.cancelledAt)}`,
    `Failed job ids${batch.failedJobIds.length === 0 ? '  -' : ''}`,
    ...batch.failedJobIds.map((id) => `  ${id}`),
  ].join('\n');
  output.print(text, batch.toJSON());
}
