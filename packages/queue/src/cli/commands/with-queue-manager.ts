import { queueManager } from '../../configure-queues.js';
import type { QueueManager } from '../../queue-manager.js';
import type { CommandContext } from '../command.js';
import { loadApp } from '../load-app.js';
import { stringOption } from '../parse-command-line.js';

/**
 * Loads the app (`--app`, else `EPILOGUE_APP`, else package.json's `epilogue.app`), hands its
 * queue manager and the connection the command works on (`--connection`, else the default one)
 * to `body`, and closes the queue connections afterwards, so that a connection to a server does
 * not keep the process alive.
 *
 * @param context - The command's options and io.
 * @param command - The command's name, for the message when no app module is named.
 * @param body - What the command does; resolves to its exit code.
 */
export async function withQueueManager(
  context: CommandContext,
  command: string,
  body: (manager: QueueManager, connection: string) => Promise<number>,
): Promise<number> {
  const manager = queueManager(await loadApp(context, command));
  try {
    return await body(manager, stringOption(context.options, 'connection') ?? manager.defaultConnection);
  } finally {
    await manager.close();
  }
}
