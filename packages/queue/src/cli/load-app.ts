import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Application } from '@epilogue/core';
import { AppModuleError, CliUsageError } from './cli-errors.js';
import type { CommandContext } from './command.js';
import { stringOption } from './parse-command-line.js';

/** Options of `loadAppModule()`. */
export interface LoadAppModuleOptions {
  /** What a relative path is resolved against. Default: the current working directory. */
  cwd?: string;
  /** Where the path came from, for error messages. Default: `--app`. */
  source?: string;
  /** How `cwd` is named in error messages. Default: `the current directory`. */
  relativeTo?: string;
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
  if (!isFile(path)) throw AppModuleError.notFound(given, path, options.source, options.relativeTo);
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

/** Where the CLI found the app module's path, and what a relative one is resolved against. */
interface AppSetting {
  readonly module: string;
  readonly options: LoadAppModuleOptions;
}

/**
 * Loads the application a command works on (see `loadAppModule()`), from the first of: the
 * `--app` option; the `EPILOGUE_APP` environment variable (both resolved against the working
 * directory); the `"epilogue": { "app": ... }` field of the nearest `package.json` up from the
 * working directory that has one (resolved against that package.json's directory).
 *
 * @param context - The command's options and io.
 * @param command - The command's name, for the message when no app module is named.
 * @returns The application.
 * @throws {CliUsageError} When none of the three names an app module.
 * @throws {AppModuleError} When a package.json on the way cannot be read as the setting, or the
 *   module is not there, fails to load, or exports no application.
 */
export async function loadApp(context: CommandContext, command: string): Promise<Application> {
  const setting = appSetting(context);
  if (setting === undefined) throw CliUsageError.missingApp(command);
  return loadAppModule(setting.module, setting.options);
}

function appSetting({ options, io }: CommandContext): AppSetting | undefined {
  const cwd = resolve(io.cwd ?? process.cwd());
  const given = stringOption(options, 'app');
  if (given !== undefined && given !== '') return { module: given, options: { cwd, source: '--app' } };
  const env = (io.env ?? process.env).EPILOGUE_APP;
  if (env !== undefined && env !== '') return { module: env, options: { cwd, source: 'EPILOGUE_APP' } };
  return fromPackageJson(cwd);
}

function fromPackageJson(start: string): AppSetting | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    const module = epilogueAppField(file);
    if (module !== undefined) {
      const source = `"epilogue.app" in ${file}`;
      return { module, options: { cwd: dir, source, relativeTo: `the directory of ${file}` } };
    }
    if (dirname(dir) === dir) return undefined;
  }
}

/** The `epilogue.app` field of a package.json, or undefined when there is no such file or no `epilogue` field. */
function epilogueAppField(file: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw AppModuleError.invalidPackageJson(file, `it is not valid JSON (${(error as Error).message})`);
  }
  const epilogue = isRecord(json) ? json.epilogue : undefined;
  if (epilogue === undefined) return undefined;
  const app = isRecord(epilogue) ? epilogue.app : undefined;
  if (typeof app !== 'string' || app.trim() === '') {
    throw AppModuleError.invalidPackageJson(file, 'its "epilogue" field has no "app" path');
  }
  return app;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
