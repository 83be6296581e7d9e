import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Application } from '@epilogue/core';
import { runCli } from '@epilogue/queue/cli';
import { useApp } from './fixtures/current-app.js';
import { fixture, jsonLinesOf, testIo } from './fixtures/test-io.js';

async function cli(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  const io = testIo(options);
  const code = await runCli(args, io.io);
  return { code, out: io.out, err: io.err };
}

describe('epilogue --help', () => {
  it('lists the commands with --help, -h and help, exit code 0', async () => {
    for (const flag of ['--help', '-h', 'help']) {
      const { code, out, err } = await cli([flag]);
      expect([code, err]).toEqual([0, '']);
      expect(out).toMatch(/^Usage: epilogue <command> \[options\]\n/);
      for (const command of ['queue:work', 'queue:failed', 'queue:retry', 'queue:forget', 'queue:flush']) {
        expect(out).toMatch(new RegExp(`\\n  ${command} +\\S`));
      }
    }
  });

  it("shows a command's usage and options with `<command> --help` and `help <command>`", async () => {
    const { code, out } = await cli(['queue:work', '--concurrency', 'abc', '--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: epilogue queue:work --app <path> \[options\]\n/);
    expect(out).toMatch(/\n {6}--concurrency <n> +How many jobs run at once \(default: 1\)\n/);
    expect(out).toMatch(/\n {2}-h, --help +Show this help\n/);
    const { out: retryHelp } = await cli(['help', 'queue:retry']);
    expect(retryHelp).toMatch(/^Usage: epilogue queue:retry <id\.\.\.\|all> --app <path>/);
  });

  it('prints the usage on stderr and exits 1 without a command', async () => {
    const { code, out, err } = await cli([]);
    expect([code, out]).toEqual([1, '']);
    expect(err).toMatch(/^Usage: epilogue <command> \[options\]\n/);
  });
});

describe('epilogue usage errors', () => {
  it('names the commands there are for an unknown command', async () => {
    expect(await cli(['queue:wrok'])).toEqual({
      code: 1,
      out: '',
      err:
        'error [E_CLI_UNKNOWN_COMMAND]: There is no command "queue:wrok". Commands: queue:work, queue:restart, ' +
        'queue:monitor, queue:clear, queue:failed, queue:retry, queue:forget, queue:flush, queue:prune-failed, ' +
        'queue:batches, queue:batch, queue:retry-batch, queue:prune-batches. Run `epilogue --help` for what each does.\n',
    });
  });

  it('wants the command before the options', async () => {
    const { code, err } = await cli(['--app', 'app.js', 'queue:work']);
    expect(code).toBe(1);
    expect(err).toBe(
      'error [E_CLI_INVALID_ARGUMENTS]: Give the command before its options (got "--app" first). ' +
        'Run `epilogue --help` for usage.\n',
    );
  });

  it('refuses an unknown option and an option without its value', async () => {
    expect((await cli(['queue:work', '--nope'])).err).toMatch(
      /^error \[E_CLI_INVALID_ARGUMENTS\]: Unknown option '--nope'\. Run `epilogue queue:work --help` for usage\.\n$/,
    );
    expect((await cli(['queue:failed', '--app'])).err).toMatch(
      /^error \[E_CLI_INVALID_ARGUMENTS\]: Option '--app <value>' argument missing\./,
    );
  });

  it('needs an app module, and names the three ways to give one', async () => {
    expect(await cli(['queue:failed'])).toEqual({
      code: 1,
      out: '',
      err:
        'error [E_CLI_MISSING_APP]: queue:failed needs the app module, the built file that exports your ' +
        'Application. Name it in one of three ways: the --app option (epilogue queue:failed --app ' +
        './dist/app.js), the EPILOGUE_APP environment variable (EPILOGUE_APP=./dist/app.js), or an ' +
        '"epilogue" field in your package.json ("epilogue": { "app": "./dist/app.js" }, relative to that ' +
        'package.json).\n',
    });
  });

  it('writes errors as JSON lines on stderr with --json', async () => {
    const { code, out, err } = await cli(['queue:flush', '--json']);
    expect([code, out]).toEqual([1, '']);
    expect(jsonLinesOf(err)).toEqual([
      {
        event: 'error',
        name: 'CliUsageError',
        code: 'E_CLI_MISSING_APP',
        message: expect.stringContaining('--app'),
      },
    ]);
  });
});

describe('epilogue --app', () => {
  it('resolves the path against the working directory and calls an exported function for the app', async () => {
    useApp(new Application({ report: () => undefined }));
    // The app has no queues: loading worked, and the next error says what to do.
    const { code, err } = await cli(['queue:failed', '--app', 'current-app.ts'], { cwd: fixture('.') });
    expect(code).toBe(1);
    expect(err).toMatch(/^error \[E_QUEUES_NOT_CONFIGURED\]: No queues are configured for this application\./);
  });

  it('takes the default export, an async function returning the app', async () => {
    expect(await cli(['queue:failed', '--app', fixture('default-factory.ts')])).toEqual({
      code: 0,
      out: 'No failed jobs on the "factory" connection.\n',
      err: '',
    });
  });

  it('says where it looked when the module is not there', async () => {
    const { code, err } = await cli(['queue:failed', '--app', 'dist/nope.js'], { cwd: resolve('/srv/shop') });
    expect(code).toBe(1);
    expect(err).toBe(
      `error [E_APP_MODULE_NOT_FOUND]: No app module at ${resolve('/srv/shop/dist/nope.js')} ` +
        '(from --app dist/nope.js). Point ' +
        '--app at the built JavaScript file that exports your Application, relative to the current directory.\n',
    );
  });

  it('lists what the module exports when none of it is an application', async () => {
    const { code, err } = await cli(['queue:failed', '--app', fixture('no-app.ts')]);
    expect(code).toBe(1);
    expect(err).toMatch(/^error \[E_APP_MODULE_NO_APPLICATION\]: The app module \S+no-app\.ts exports no Application /);
    expect(err).toContain('(its exports: helper, settings). Export the configured app as `export const app = ...`');
  });

  it('reports an app function that returns something else as no application', async () => {
    useApp(undefined as unknown as Application);
    const { err } = await cli(['queue:failed', '--app', fixture('current-app.ts')]);
    expect(err).toMatch(/^error \[E_APP_MODULE_NO_APPLICATION\]: .*\(its exports: app, useApp\)/);
  });

  it('passes on what a module that fails to load threw, with its stack', async () => {
    const { code, err } = await cli(['queue:failed', '--app', fixture('broken-app.ts')]);
    expect(code).toBe(1);
    expect(err).toMatch(/^error \[E_APP_MODULE_FAILED\]: The app module \S+broken-app\.ts could not be loaded: /);
    expect(err).toContain('could not be loaded: The database at db.internal:5432 is unreachable. Fix the error');
    expect(err).toMatch(/\n {2}caused by: RangeError: The database at db\.internal:5432 is unreachable\n {4}at /);
  });
});

describe('epilogue without --app', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'epilogue-app-default-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const packageJson = (json: unknown, at = dir) => writeFileSync(join(at, 'package.json'), JSON.stringify(json));
  const factoryOutput = { code: 0, out: 'No failed jobs on the "factory" connection.\n', err: '' };

  it('prefers --app to EPILOGUE_APP and package.json', async () => {
    packageJson({ epilogue: { app: './missing-from-package.js' } });
    const env = { EPILOGUE_APP: './missing-from-env.js' };
    expect(await cli(['queue:failed', '--app', fixture('default-factory.ts')], { cwd: dir, env })).toEqual(
      factoryOutput,
    );
  });

  it('prefers EPILOGUE_APP to package.json, resolved against the working directory', async () => {
    packageJson({ epilogue: { app: './missing-from-package.js' } });
    expect(await cli(['queue:failed'], { cwd: fixture('.'), env: { EPILOGUE_APP: 'default-factory.ts' } })).toEqual(
      factoryOutput,
    );
    const { err } = await cli(['queue:failed'], { cwd: dir, env: { EPILOGUE_APP: 'dist/app.js' } });
    expect(err).toBe(
      `error [E_APP_MODULE_NOT_FOUND]: No app module at ${join(dir, 'dist', 'app.js')} (from EPILOGUE_APP ` +
        'dist/app.js). Point EPILOGUE_APP at the built JavaScript file that exports your Application, ' +
        'relative to the current directory.\n',
    );
  });

  it("takes the nearest package.json's epilogue.app, resolved against that package.json's directory", async () => {
    const project = join(dir, 'project');
    mkdirSync(join(project, 'src', 'deep'), { recursive: true });
    packageJson({ name: 'outer', epilogue: { app: './not-this-one.js' } });
    packageJson({ name: 'project', epilogue: { app: './dist/app.js' } }, project);
    writeFileSync(join(project, 'src', 'package.json'), JSON.stringify({ name: 'no-epilogue-field' }));
    const { code, err } = await cli(['queue:failed'], { cwd: join(project, 'src', 'deep') });
    expect(code).toBe(1);
    const file = join(project, 'package.json');
    expect(err).toBe(
      `error [E_APP_MODULE_NOT_FOUND]: No app module at ${join(project, 'dist', 'app.js')} (from ` +
        `"epilogue.app" in ${file} ./dist/app.js). Point "epilogue.app" in ${file} at the built JavaScript ` +
        `file that exports your Application, relative to the directory of ${file}.\n`,
    );
  });

  it('loads the app a package.json names', async () => {
    packageJson({ epilogue: { app: fixture('default-factory.ts') } });
    expect(await cli(['queue:failed'], { cwd: dir })).toEqual(factoryOutput);
  });

  it('says what is wrong with a package.json it cannot read the setting from', async () => {
    writeFileSync(join(dir, 'package.json'), '{ "name": ');
    const broken = await cli(['queue:failed'], { cwd: dir });
    expect(broken.code).toBe(1);
    expect(broken.err).toContain(
      `error [E_APP_PACKAGE_JSON_INVALID]: ${join(dir, 'package.json')} cannot name the app module: ` +
        'it is not valid JSON (',
    );
    packageJson({ epilogue: { application: './dist/app.js' } });
    expect((await cli(['queue:failed'], { cwd: dir })).err).toBe(
      `error [E_APP_PACKAGE_JSON_INVALID]: ${join(dir, 'package.json')} cannot name the app module: its ` +
        '"epilogue" field has no "app" path. Fix it to read "epilogue": { "app": "./dist/app.js" } (relative ' +
        'to that package.json), or name the module with --app or EPILOGUE_APP.\n',
    );
  });
});

