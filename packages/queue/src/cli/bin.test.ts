import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPackages, repositoryRoot } from '../../../../test/adapters/build-packages.js';
import { fixture, jsonLinesOf, until } from './fixtures/test-io.js';

const BIN = join(repositoryRoot, 'packages', 'queue', 'dist', 'cli', 'main.js');
const APP = fixture('bin-app.mjs');
let dir: string;

beforeAll(() => buildPackages(['core', 'bus', 'queue']), 120_000);
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'epilogue-cli-'))));
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

/** Starts the built bin with these arguments and fixture settings. */
function epilogue(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: repositoryRoot,
    env: { ...process.env, ...env },
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
});
