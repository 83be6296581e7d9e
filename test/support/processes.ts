// Helpers shared by the tests that run other Node processes, the way a deployment does: workers
// started with the `epilogue` bin of the built queue package, and scripts that dispatch from a
// process of their own. Each process gets EPILOGUE_TEST_PREFIX, the test's Redis key prefix.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const bin = join(root, 'packages/queue/dist/cli/main.mjs');

/** A process a test started, and everything it wrote so far, stdout and stderr together. */
export interface Started {
  child: ChildProcess;
  output: () => string;
}

/** What else a started process gets: Node's own flags (`--require ...`) and environment variables. */
export interface ProcessOptions {
  nodeArgs?: readonly string[];
  env?: Record<string, string>;
}

/** Starts `node script ...args` in the repository's root, with EPILOGUE_TEST_PREFIX set to `prefix`. */
export function startProcess(prefix: string, script: string, args: readonly string[] = [], options: ProcessOptions = {}): Started {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script, ...args], {
    cwd: root,
    env: { ...process.env, ...options.env, EPILOGUE_TEST_PREFIX: prefix },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout!.on('data', (chunk: Buffer) => (text += chunk));
  child.stderr!.on('data', (chunk: Buffer) => (text += chunk));
  return { child, output: () => text };
}

/**
 * Starts a worker as a deployment does, `epilogue queue:work --app <appModule> ...args --json`:
 * it reports every job it processed as a line of JSON.
 */
export function startWorkerProcess(
  prefix: string,
  appModule: string,
  args: readonly string[] = [],
  options: ProcessOptions = {},
): Started {
  return startProcess(prefix, bin, ['queue:work', '--app', appModule, ...args, '--json'], options);
}

/** Waits for the process to exit and returns its exit code; prints its output when that is not 0. */
export async function exitCode({ child, output }: Started): Promise<number | null> {
  const [code] = child.exitCode !== null ? [child.exitCode] : await once(child, 'exit');
  if (code !== 0) console.error(output());
  return code as number | null;
}

/** Runs `node script ...args` to its end; fails the test unless it exits with 0. */
export async function runProcess(prefix: string, script: string, args: readonly string[] = []): Promise<void> {
  expect(await exitCode(startProcess(prefix, script, args))).toBe(0);
}
