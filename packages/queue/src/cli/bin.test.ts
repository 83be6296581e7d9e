import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { buildPackages, repositoryRoot } from '../../../../test/adapters/build-packages.js';
import { fixture, jsonLinesOf, until } from './fixtures/test-io.js';

const BIN = join(repositoryRoot, 'packages', 'queue', 'dist', 'cli', 'main.mjs');
const APP = fixture('bin-app.mjs');
let dir: string;

beforeAll(() => buildPackages(['core', 'bus', 'queue']), 120_000);
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'epilogue-cli-'))));
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

/**
 * Starts the built bin with these arguments and fixture settings, in `cwd` (default: the
 * repository), without an `EPILOGUE_APP` of the shell running the tests unless given.
 */
function epilogue(args: string[], env: Record<string, string> = {}, cwd = repositoryRoot) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: { ...process.env, EPILOGUE_APP: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run = { child, out: '', err: '', exited: new Promise<number | null>((resolve) => child.on('exit', resolve)) };
  child.stdout.on('data', (chunk) => (run.out += chunk));
  child.stderr.on('data', (chunk) => (run.err += chunk));
  return run;
}

describe('the epilogue bin', () => {
  it('is an executable script for node', () => {
    expect(readFileSync(BIN, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
  });

  it('works the jobs the app pushed, a JSON line each, and exits 0 when the queue is empty', async () => {
    const run = epilogue(['queue:work', '--app', APP, '--stop-when-empty', '--json'], { EPILOGUE_FIXTURE_JOBS: '3' });
    expect(await run.exited).toBe(0);
    expect(run.err).toBe('');
    const lines = jsonLinesOf(run.out);
    const processed = lines.filter((line) => line.event === 'processed');
    expect(processed.map((line) => [line.name, line.status])).toEqual([
      ['Greet', 'completed'],
      ['Greet', 'completed'],
      ['Greet', 'completed'],
    ]);
    expect(lines.at(-1)).toEqual({ event: 'stopped', reason: 'empty', jobs: 3 });
  });

  it("writes the JSON lines to --json=fd:3, where the jobs' own console.log lines do not go", async () => {
    const child = spawn(process.execPath, [BIN, 'queue:work', '--app', APP, '--stop-when-empty', '--json=fd:3'], {
      cwd: repositoryRoot,
      env: { ...process.env, EPILOGUE_APP: undefined, EPILOGUE_FIXTURE_JOBS: '2', EPILOGUE_FIXTURE_LOG: '1' },
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let records = '';
    child.stdout!.on('data', (chunk) => (out += chunk));
    child.stderr!.on('data', (chunk) => (err += chunk));
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (chunk) => (records += chunk));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));

    expect(await closed).toBe(0);
    expect(err).toBe('');
    expect(out).toContain('greeting 1\n');
    expect(out).toContain('greeting 2\n');
    expect(out).toContain('Worker stopped: the queues are empty (2 job(s) run).');
    const lines = jsonLinesOf(records);
    expect(lines.map((line) => line.event)).toEqual([
      'started',
      'processing',
      'processed',
      'processing',
      'processed',
      'stopped',
    ]);
  });

  it('lets the running job finish on SIGTERM, then exits 0', async () => {
    const gate = join(dir, 'gate');
    const run = epilogue(['queue:work', '--app', APP, '--json'], { EPILOGUE_FIXTURE_GATE: gate });
    await until(() => existsSync(`${gate}.log`));

    run.child.kill('SIGTERM');
    await until(() => run.out.includes('"event":"stopping"'));
    writeFileSync(gate, '');

    expect(await run.exited).toBe(0);
    expect(readFileSync(`${gate}.log`, 'utf8')).toBe('start\nend\n');
    expect(run.err).toBe('');
    const lines = jsonLinesOf(run.out);
    expect(lines.find((line) => line.event === 'processed')).toMatchObject({ name: 'Gated', status: 'completed' });
    expect(lines.at(-1)).toEqual({ event: 'stopped', reason: 'stopped', jobs: 1 });
  });

  it('exits at once with code 143 on a second SIGTERM, and says so', async () => {
    const gate = join(dir, 'gate');
    const run = epilogue(['queue:work', '--app', APP], { EPILOGUE_FIXTURE_GATE: gate });
    await until(() => existsSync(`${gate}.log`));

    run.child.kill('SIGTERM');
    await until(() => run.out.includes('Stopping (SIGTERM)'));
    run.child.kill('SIGTERM');

    expect(await run.exited).toBe(143);
    expect(run.err).toMatch(/^error \[E_WORKER_INTERRUPTED\]: Received SIGTERM again while stopping: exiting at once/);
    expect(run.err).toContain('with 1 job(s) still running');
    expect(readFileSync(`${gate}.log`, 'utf8')).toBe('start\n');
  });

  it('exits 1 with the error on stderr when the app module is missing', async () => {
    const run = epilogue(['queue:failed', '--app', 'dist/missing.js']);
    expect(await run.exited).toBe(1);
    expect(run.out).toBe('');
    expect(run.err).toMatch(/^error \[E_APP_MODULE_NOT_FOUND\]: No app module at /);
  });

  describe('without --app', () => {
    /** Works three jobs of the fixture app found without --app, and checks they ran. */
    async function worksTheFixtureApp(run: ReturnType<typeof epilogue>) {
      expect(await run.exited).toBe(0);
      expect(run.err).toBe('');
      const lines = jsonLinesOf(run.out);
      expect(lines.filter((line) => line.event === 'processed')).toHaveLength(3);
      expect(lines.at(-1)).toEqual({ event: 'stopped', reason: 'empty', jobs: 3 });
    }

    it('loads the app EPILOGUE_APP names, relative to the working directory', async () => {
      const env = { EPILOGUE_APP: relative(dir, APP), EPILOGUE_FIXTURE_JOBS: '3' };
      await worksTheFixtureApp(epilogue(['queue:work', '--stop-when-empty', '--json'], env, dir));
    });

    it("loads the app of the nearest package.json's epilogue.app, relative to that package.json", async () => {
      const project = join(dir, 'shop');
      mkdirSync(join(project, 'scripts'), { recursive: true });
      const app = relative(project, APP);
      writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'shop', epilogue: { app } }));
      const env = { EPILOGUE_FIXTURE_JOBS: '3' };
      await worksTheFixtureApp(epilogue(['queue:work', '--stop-when-empty', '--json'], env, join(project, 'scripts')));
    });

    it('exits 1 naming --app, EPILOGUE_APP and package.json when none gives the app', async () => {
      const run = epilogue(['queue:failed'], {}, dir);
      expect(await run.exited).toBe(1);
      expect(run.out).toBe('');
      expect(run.err).toMatch(/^error \[E_CLI_MISSING_APP\]: queue:failed needs the app module/);
      for (const way of ['--app', 'EPILOGUE_APP', '"epilogue": { "app": "./dist/app.js" }']) {
        expect(run.err).toContain(way);
      }
    });
  });
});
