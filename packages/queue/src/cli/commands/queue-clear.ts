import { CliUsageError } from '../cli-errors.js';
import { appOption, connectionOption, jsonOption, type Command, type CommandContext } from '../command.js';
import { stringOption } from '../parse-command-line.js';
import { withQueueManager } from './with-queue-manager.js';

/** `epilogue queue:clear [--queue name]`: deletes the waiting and delayed jobs of one queue. */
export const queueClear: Command = {
  name: 'queue:clear',
  summary: 'Delete the waiting and delayed jobs of one queue',
  usage: 'epilogue queue:clear --app <path> [--queue <name>] [options]',
  description:
    'Deletes the jobs that wait on one queue of the connection, ready or delayed, and prints how\n' +
    "many. Without --queue it clears the app's default queue, and says so. Other queues, running\n" +
    'jobs and the failed store are left alone. It asks nothing: name the queue you mean.',
  options: [
    appOption,
    connectionOption,
    { name: 'queue', type: 'string', value: '<name>', description: "The queue to clear (default: the app's default queue)" },
    jsonOption,
  ],
  positionals: false,
  run: clear,
};

function clear(context: CommandContext): Promise<number> {
  const given = stringOption(context.options, 'queue')?.trim();
  if (given === '' || given?.includes(',')) {
    throw CliUsageError.invalidOption('--queue', 'the name of one queue', stringOption(context.options, 'queue')!);
  }
  return withQueueManager(context, queueClear.name, async (manager, connection) => {
    const queue = given ?? manager.defaultQueue;
    if (given === undefined) context.output.note(`No --queue given: clearing the default queue, "${queue}".`);
    const count = await manager.clear(queue, connection);
    context.output.print(
      `Cleared ${count} waiting or delayed job(s) from the "${queue}" queue of the "${connection}" connection.`,
      { event: 'cleared', connection, queue, defaultQueue: given === undefined, count },
    );
    return 0;
  });
}
