import type { Application } from '../application.js';

/** Options of `runCommand()`. */
export interface RunCommandOptions {
  /** The command's name, for error reports. */
  name?: string;
}

/**
 * Runs a console command in its own scope and resolves to its exit code: the number `fn`
 * returns, 0 when it returns anything else, 1 when it throws (after reporting the error).
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
    const result = await scope.run(fn);
    exitCode = typeof result === 'number' ? result : 0;
  } catch (error) {
    app.report(error, scope.reportContext('command'));
    exitCode = 1;
  }
  await scope.finish(exitCode === 0);
  return exitCode;
}
