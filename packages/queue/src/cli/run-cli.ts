import { CliUsageError } from './cli-errors.js';
import type { CliIo } from './cli-io.js';
import { CliOutput, jsonDestination } from './cli-output.js';
import type { Command } from './command.js';
import { batchCommands } from './commands/batch-commands.js';
import { queueFailed, queueFlush, queueForget, queuePruneFailed, queueRetry } from './commands/failed-job-commands.js';
import { queueClear } from './commands/queue-clear.js';
import { queueMonitor } from './commands/queue-monitor.js';
import { queueRestart } from './commands/queue-restart.js';
import { queueWork } from './commands/queue-work.js';
import { cliHelp, commandHelp } from './help.js';
import { parseCommandLine } from './parse-command-line.js';

const COMMANDS: readonly Command[] = [
  queueWork,
  queueRestart,
  queueMonitor,
  queueClear,
  queueFailed,
  queueRetry,
  queueForget,
  queueFlush,
  queuePruneFailed,
  ...batchCommands,
];

/**
 * Runs the `epilogue` command line: `queue:work`, `queue:restart`, `queue:monitor`,
 * `queue:clear`, `queue:failed`, `queue:retry`, `queue:forget`, `queue:flush`,
 * `queue:prune-failed`, and the batch commands (`queue:batches`, `queue:batch`,
 * `queue:retry-batch`, `queue:prune-batches`). Every error is written to `io.stderr` (as a JSON
 * line with `--json`) and
 * turned into exit code 1; nothing is thrown. The `epilogue` bin is this function with the
 * process's streams, signals and exit.
 *
 * @param argv - The arguments after the program: `['queue:work', '--app', './dist/app.js']`.
 * @param io - Where output goes, the working directory, and the signal and exit hooks.
 * @returns The exit code: 0 when the command did everything asked, 1 otherwise; 2 when
 *   `queue:monitor` found a queue at or above its threshold; 128 + the signal's number when a
 *   second signal interrupted `queue:work`.
 * @example
 * const code = await runCli(['queue:failed', '--app', './dist/app.js', '--json'], {
 *   stdout: process.stdout,
 *   stderr: process.stderr,
 * });
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  // Until the destination is known (and opened), errors take the form --json asks for on stderr.
  const asked = ['--json', '--json=stdout', '--json=stderr'].some((form) => argv.includes(form));
  let output = new CliOutput(io, asked);
  try {
    output = new CliOutput(io, jsonDestination(argv));
    return await dispatch(argv, io, output);
  } catch (error) {
    output.error(error);
    return 1;
  } finally {
    output.close();
  }
}

async function dispatch(argv: readonly string[], io: CliIo, output: CliOutput): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.stderr.write(cliHelp(COMMANDS));
    return 1;
  }
  if (name === '--help' || name === '-h' || name === 'help') return help(args[0], io);
  if (name.startsWith('-')) {
    throw CliUsageError.invalidArguments('epilogue', `Give the command before its options (got "${name}" first)`);
  }
  const command = findCommand(name);
  if (args.includes('--help') || args.includes('-h')) return help(name, io);
  const { options, positionals } = parseCommandLine(command, args);
  return command.run({ options, positionals, io, output });
}

function help(name: string | undefined, io: CliIo): number {
  io.stdout.write(name === undefined ? cliHelp(COMMANDS) : commandHelp(findCommand(name)));
  return 0;
}

function findCommand(name: string): Command {
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (command === undefined) throw CliUsageError.unknownCommand(name, COMMANDS.map((known) => known.name));
  return command;
}
