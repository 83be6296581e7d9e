import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Application } from '@epilogue/core';
import { AppModuleError, CliUsageError } from '../errors.js';
import type { CommandContext } from './command.js';
import { stringOption } from './parse-command-line.js';

/**
 * Loads the application a command works on, from the module its `--app` option names: the
 * module's `app` export, else its default export, each either the configured `Application` or a
 * function (possibly async) that returns one. The path is resolved against the working directory.
 *
 * @param context - The command's options and io.
 * @param command - The command's name, for the message when `--app` is missing.
 * @returns The application.
 * @throws {CliUsageError} When `--app` is missing.
 * @throws {AppModuleError} When the module is not there, fails to load, or exports no application.
 */
export async function loadApp(context: CommandContext, command: string): Promise<Application> {
  const given = stringOption(context.options, 'app');
  if (given === undefined || given === '') {
    throw CliUsageError.missingOption(command, '--app', `epilogue ${command} --app ./dist/app.js`);
  }
  const path = resolve(context.io.cwd ?? process.cwd(), given);
  if (!isFile(path)) throw AppModuleError.notFound(given, path);
  let exported: Record<string, unknown>;
  try {
    exported = await import(pathToFileURL(path).href);
  } catch (error) {
    throw AppModuleError.failed(path, error);
  }
  const app = await fromExport(exported.app ?? exported.default, path);
  if (!(app instanceof Application)) throw AppModuleError.noApplication(path, Object.keys(exported));
  return app;
}

async function fromExport(value: unknown, path: string): Promise<unknown> {
  // A class (Application itself, say) is not a factory: it is reported as no application.
  if (typeof value !== 'function' || /^class\b/.test(Function.prototype.toString.call(value))) return value;
  try {
    return await value();
  } catch (error) {
    throw AppModuleError.failed(path, error);
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
