/**
 * The `epilogue` command as a function: `runCli(argv, io)` runs a command line (`queue:work`,
 * `queue:failed`, `queue:retry`, ...) with the given streams, signals and exit, and resolves to
 * the exit code, for a script or a test of your own. The `epilogue` bin is this with the
 * process's own.
 *
 * @module
 * @example
 * import { runCli } from '@epilogue/queue/cli';
 *
 * const code = await runCli(['queue:failed', '--app', './dist/app.js', '--json'], {
 *   stdout: process.stdout,
 *   stderr: process.stderr,
 * });
 */
import '@epilogue/bus';

export { AppModuleError, CliUsageError, WorkerInterruptedError } from './cli/cli-errors.js';
export type { CliIo, CliSignal, CliStream } from './cli/cli-io.js';
export { appModulePath, loadAppModule } from './cli/load-app.js';
export type { LoadAppModuleOptions } from './cli/load-app.js';
export { runCli } from './cli/run-cli.js';
