import { appOption, connectionOption, jsonOption, type Command, type CommandContext } from '../command.js';
import { formatTime } from '../cli-output.js';
import { stringOption } from '../parse-command-line.js';
import { withQueueManager } from './with-queue-manager.js';

/**
 * `epilogue queue:restart`: every worker of the app's connections, on every machine, finishes
 * its running jobs and exits.
 */
export const queueRestart: Command = {
  name: 'queue:restart',
  summary: 'Make every worker finish its running jobs and exit (after a deploy)',
  usage: 'epilogue queue:restart --app <path> [--connection <name>] [options]',
  description:
    'Signals every worker of the connections (all of them, or the one --connection names), on\n' +
    'every machine, to take no new job, let its running jobs finish and exit 0, so that your\n' +
    'process manager starts it again on the new code. Workers check the signal every second;\n' +
    'a worker started afterwards keeps working. The signal is kept in the connection\'s store\n' +
    '(Redis for BullMQ); on a connection without a shared store (memory) it could only reach\n' +
    'workers in the same process, and it says so.',
  options: [appOption, connectionOption, jsonOption],
  positionals: false,
  run: restart,
};

function restart(context: CommandContext): Promise<number> {
  const named = stringOption(context.options, 'connection');
  return withQueueManager(context, queueRestart.name, async (manager) => {
    // Connections that run jobs on push (sync) have no workers to restart.
    const connections =
      named !== undefined ? [named] : manager.connectionNames().filter((name) => !manager.driver(name).runsOnPush);
    for (const connection of connections) {
      const at = await manager.signalRestart(connection);
      // A driver without a store of its own keeps the signal in this process's memory.
      const shared = manager.driver(connection).atomics !== undefined;
      const reach = shared
        ? 'its workers finish their running jobs and exit'
        : 'its store is in process memory, so only workers in this process would see it';
      context.output.print(`Signalled a restart on the "${connection}" connection at ${formatTime(at)}: ${reach}.`, {
        event: 'restart',
        connection,
        at: at.toISOString(),
        shared,
      });
    }
    return 0;
  });
}
