import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Application } from '@epilogue/core';
import { AppModuleError, CliUsageError } from '../errors.js';
import type { CommandContext } from './command.js';
import { stringOption } from './parse-command-line.js';

/** Options of `loadAppModule()`. */
export interface LoadAppModuleOptions {
  /** What a relative path is resolved against. Default: the current working directory. */
  cwd?: string;
  /** Where the path came from, for error messages. Default: `--app`. */
  source?: string;
}

/**
 * Loads an application from a module, by the rule `epilogue queue:work --app` follows: the
 * module's `app` export, else its default export, each either the configured `Application` or a
 * function (possibly async) that returns one. Other packages that load an application in
 * another process or thread (the worker-threads queue driver) use the same rule.
 *
 * @param module - The module: a path (relative ones against `cwd`) or a `file:` URL.
 * @param options - The directory relative paths start from, and where the path came from.
 * @returns The application.
 * @throws {AppModuleError} When the module is not there, fails to load, or exports no application.
 * @example
 * const app = await loadAppModule('./dist/app.js');
 */
export async function loadAppModule(module: string | URL, options: LoadAppModuleOptions = {}): Promise<Application> {
  const given = String(module);
  const path = appModulePath(module, options.cwd);
  if (!isFile(path)) throw AppModuleError.notFound(given, path, options.source);
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

/**
 * The absolute file path of an app module given as a path (relative ones against `cwd`) or a
 * `file:` URL (as a `URL` or a string that starts with `file:`).
 *
 * @param module - The path or URL.
 * @param cwd - What a relative path is resolved against. Default: the current working directory.
 */
export function appModulePath(module: string | URL, cwd: string = process.cwd()): string {
  if (module instanceof URL || module.startsWith('file:')) return fileURLToPath(module);
  return resolve(cwd, module);
}

/**
 * Loads the application a command works on, from the module its `--app` option names (see
 * `loadAppModule()`). The path is resolved against the working directory.
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
  return loadAppModule(given, { cwd: context.io.cwd });
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
