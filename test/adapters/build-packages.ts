import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository's root directory. */
export const repositoryRoot = resolve(__dirname, '..', '..');

const buildScript = join(repositoryRoot, 'scripts', 'build.mjs');
const lock = join(tmpdir(), `epilogue-build-${Buffer.from(repositoryRoot).toString('hex').slice(-24)}.lock`);
const staleLockMs = 120_000;

/**
 * Brings `packages/<name>/dist` up to date for the given workspace packages with
 * scripts/build.mjs (tsc -b, incremental: well under a second when nothing changed), so that
 * child processes can import the built packages. Test files run in parallel workers, so builds are serialised with a lock
 * directory: two `tsc -b` writing the same files at once could hand a half-written file to a
 * child that is already starting.
 *
 * @param packages - Workspace directory names, such as `['core', 'bus', 'node-http']`.
 */
export async function buildPackages(packages: readonly string[]): Promise<void> {
  await buildProjects(packages.map((name) => join('packages', name)));
}

/**
 * `buildPackages()` for any TypeScript projects of the repository, such as `examples`.
 *
 * @param projects - Project directories, relative to the repository's root.
 */
export async function buildProjects(projects: readonly string[]): Promise<void> {
  await acquireLock();
  try {
    await run(process.execPath, [buildScript, ...projects.map((project) => join(repositoryRoot, project))]);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function acquireLock(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(lock);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (lockAge() > staleLockMs) rmSync(lock, { recursive: true, force: true });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function lockAge(): number {
  try {
    return Date.now() - statSync(lock).mtimeMs;
  } catch {
    return 0;
  }
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: repositoryRoot }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { message: `${error.message}\n${stdout}${stderr}` }));
      else resolve();
    });
  });
}
