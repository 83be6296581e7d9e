// The errors of the `epilogue` CLI (`@epilogue/queue/cli`) and of loading an app module.
import { EpilogueError } from '@epilogue/core';

/** Thrown by the `epilogue` CLI for a command line it cannot run; it prints the message and exits 1. */
export class CliUsageError extends EpilogueError {
  /**
   * @param name - The command asked for.
   * @param known - The commands there are.
   */
  static unknownCommand(name: string, known: readonly string[]): CliUsageError {
    return new CliUsageError(
      'E_CLI_UNKNOWN_COMMAND',
      `There is no command "${name}". Commands: ${known.join(', ')}. Run \`epilogue --help\` for what each does.`,
    );
  }

  /**
   * No app module was named: not with `--app`, not in `EPILOGUE_APP`, not in a `package.json`.
   *
   * @param command - The command that needs it.
   */
  static missingApp(command: string): CliUsageError {
    return new CliUsageError(
      'E_CLI_MISSING_APP',
      `${command} needs the app module, the built file that exports your Application. Name it in one ` +
        `of three ways: the --app option (epilogue ${command} --app ./dist/app.js), the EPILOGUE_APP ` +
        'environment variable (EPILOGUE_APP=./dist/app.js), or an "epilogue" field in your package.json ' +
        '("epilogue": { "app": "./dist/app.js" }, relative to that package.json).',
    );
  }

  /**
   * @param option - The option, such as `--concurrency`.
   * @param expected - What its value should be.
   * @param value - The value given.
   */
  static invalidOption(option: string, expected: string, value: string): CliUsageError {
    return new CliUsageError('E_CLI_INVALID_OPTION', `${option} must be ${expected}; got "${value}".`);
  }

  /**
   * @param command - The command (or `epilogue` before one was named).
   * @param detail - What is wrong with the arguments.
   */
  static invalidArguments(command: string, detail: string): CliUsageError {
    const help = command === 'epilogue' ? 'epilogue --help' : `epilogue ${command} --help`;
    return new CliUsageError('E_CLI_INVALID_ARGUMENTS', `${detail}. Run \`${help}\` for usage.`);
  }
}

/**
 * Thrown by the `epilogue` CLI when the app module (from `--app`, `EPILOGUE_APP` or `package.json`)
 * does not give it an application.
 */
export class AppModuleError extends EpilogueError {
  /**
   * @param given - The path as given.
   * @param resolved - The absolute path it was looked for at.
   * @param source - Where the path came from. Default: `--app`.
   * @param relativeTo - What a relative path is resolved against. Default: `the current directory`.
   */
  static notFound(
    given: string,
    resolved: string,
    source = '--app',
    relativeTo = 'the current directory',
  ): AppModuleError {
    return new AppModuleError(
      'E_APP_MODULE_NOT_FOUND',
      `No app module at ${resolved} (from ${source} ${given}). Point ${source} at the built JavaScript file ` +
        `that exports your Application, relative to ${relativeTo}.`,
    );
  }

  /**
   * A `package.json` the CLI read for its `"epilogue": { "app": ... }` field cannot give it a path.
   *
   * @param file - The `package.json`'s absolute path.
   * @param problem - What is wrong with it.
   */
  static invalidPackageJson(file: string, problem: string): AppModuleError {
    return new AppModuleError(
      'E_APP_PACKAGE_JSON_INVALID',
      `${file} cannot name the app module: ${problem}. Fix it to read "epilogue": { "app": "./dist/app.js" } ` +
        '(relative to that package.json), or name the module with --app or EPILOGUE_APP.',
    );
  }

  /**
   * @param path - The module's absolute path.
   * @param cause - What loading it (or its factory function) threw.
   */
  static failed(path: string, cause: unknown): AppModuleError {
    const reason = cause instanceof Error ? cause.message : String(cause);
    return new AppModuleError(
      'E_APP_MODULE_FAILED',
      `The app module ${path} could not be loaded: ${reason}. Fix the error it throws; run ` +
        `\`node ${path}\` to see it on its own.`,
      { cause },
    );
  }

  /**
   * @param path - The module's absolute path.
   * @param exported - The names it exports.
   */
  static noApplication(path: string, exported: readonly string[]): AppModuleError {
    return new AppModuleError(
      'E_APP_MODULE_NO_APPLICATION',
      `The app module ${path} exports no Application (its exports: ${exported.join(', ') || 'none'}). ` +
        'Export the configured app as `export const app = ...` or `export default app`, or a ' +
        'function (possibly async) that returns it.',
    );
  }
}

/** Reported by `epilogue queue:work` when a second signal made it exit before running jobs finished. */
export class WorkerInterruptedError extends EpilogueError {
  /**
   * @param signal - The signal received while stopping.
   * @param running - The ids of the jobs still running.
   */
  static bySignal(signal: string, running: readonly string[]): WorkerInterruptedError {
    const jobs = running.length > 0 ? ` with ${running.length} job(s) still running (${running.join(', ')})` : '';
    return new WorkerInterruptedError(
      'E_WORKER_INTERRUPTED',
      `Received ${signal} again while stopping: exiting at once${jobs}. Their drivers will deliver ` +
        'them again if they did not finish; send one signal to let running jobs finish.',
    );
  }
}
