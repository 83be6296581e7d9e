import type { Application } from '../application.js';
import { InvalidExitCodeError } from '../errors.js';

/** Options of `runCommand()`. */
export interface RunCommandOptions {
  /** The command's name, for error reports. */
  name?: string;
}

/**
 * Runs a console command in its own scope and resolves to its exit code: the number `fn`
 * returns (an integer from 0 to 255), 0 when it returns anything else, 1 when it throws or
 * returns another number (after reporting the error, `E_INVALID_EXIT_CODE` for the latter).
 * Deferred callbacks run after the command when the exit code is 0 (or when marked `always`);
 * terminating callbacks run after them in every case.
 *
 * @param app - The application.
 * @param fn - The command.
 * @returns The exit code, for `process.exitCode`.
 * @example
 * process.exitCode = await runCommand(app, async () => {
 *   await importUsers();
 *   defer(() => cache.flush());
 *   return 0;
 * });
 */
export async function runCommand(
  app: Application,
  fn: () => unknown,
  options: RunCommandOptions = {},
): Promise<number> {
  const scope = app.createScope('console', options.name === undefined ? undefined : { command: options.name });
  let exitCode: number;
  try {
    exitCode = exitCodeOf(await scope.run(fn));
  } catch (error) {
    app.report(error, scope.reportContext('command'));
    exitCode = 1;
  }
  await scope.finish(exitCode === 0);
  return exitCode;
}

// A process exit code is an integer from 0 to 255; anything else a command returns that is a
// number is a mistake, reported by failing the command rather than by Node at exit.
function exitCodeOf(result: unknown): number {
  if (typeof result !== 'number') return 0;
  if (Number.isInteger(result) && result >= 0 && result <= 255) return result;
  throw InvalidExitCodeError.forValue(result);
}
