// Where the benchmarks find the built Epilogue packages. They import `packages/*/dist`, the code
// users run, never the TypeScript sources.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// BENCH_PACKAGES points at another copy of packages/ (with its node_modules links), to compare
// two builds: `cp -a packages /tmp/before/ && ln -s "$PWD/node_modules" /tmp/before/`, then
// BENCH_PACKAGES=/tmp/before/packages node bench/run.mjs.
const packagesDir = process.env.BENCH_PACKAGES ?? join(root, 'packages');

/** The file path of a package's built entry point, e.g. `distEntry('bus')`. */
export function distEntry(name) {
  return join(packagesDir, name, 'dist', 'index.js');
}

/** Whether a package has been built. */
export function isBuilt(name) {
  return existsSync(distEntry(name));
}

/**
 * Imports a built Epilogue package.
 *
 * @param {string} name - The directory under packages/, such as `core`.
 */
export async function importPackage(name) {
  if (!isBuilt(name)) {
    throw new Error(
      `packages/${name}/dist/index.js is missing. Build first: npx tsc -b packages/core packages/bus packages/node-http` +
        (name === 'fastify' ? ' packages/fastify' : ''),
    );
  }
  return import(pathToFileURL(distEntry(name)).href);
}
