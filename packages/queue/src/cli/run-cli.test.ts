import { resolve } from 'node:path';
import { Application } from '@epilogue/core';
import { runCli } from '@epilogue/queue';
import { useApp } from './fixtures/current-app.js';
import { fixture, jsonLinesOf, testIo } from './fixtures/test-io.js';

async function cli(args: string[], options: { cwd?: string } = {}) {
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
        'error [E_CLI_UNKNOWN_COMMAND]: There is no command "queue:wrok". Commands: queue:work, queue:failed, ' +
        'queue:retry, queue:forget, queue:flush. Run `epilogue --help` for what each does.\n',
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

  it('needs --app', async () => {
    expect(await cli(['queue:failed'])).toEqual({
      code: 1,
      out: '',
      err:
        'error [E_CLI_MISSING_OPTION]: queue:failed needs the --app option, for example: ' +
        'epilogue queue:failed --app ./dist/app.js.\n',
    });
  });

  it('writes errors as JSON lines on stderr with --json', async () => {
    const { code, out, err } = await cli(['queue:flush', '--json']);
    expect([code, out]).toEqual([1, '']);
    expect(jsonLinesOf(err)).toEqual([
      {
        event: 'error',
        name: 'CliUsageError',
        code: 'E_CLI_MISSING_OPTION',
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
