// Brings a fresh clone (or a stale one) to a runnable state: installs dependencies with the
// pinned pnpm when they are missing or older than the lockfile, then builds every package
// (tsc -b is incremental, so this is quick when nothing changed). Needs only Node.js and npm.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from './build.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const pnpm = pkg.packageManager; // e.g. pnpm@10.34.9
const marker = join(root, 'node_modules', '.modules.yaml');
const lockfile = join(root, 'pnpm-lock.yaml');

const run = (command, args) => execFileSync(command, args, { cwd: root, stdio: 'inherit' });

if (!existsSync(marker) || statSync(marker).mtimeMs < statSync(lockfile).mtimeMs) {
  console.log(`Installing dependencies with ${pnpm}...`);
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  run(npx, ['-y', pnpm, 'install', '--frozen-lockfile']);
}

if (process.env.EPILOGUE_SKIP_BUILD !== '1') {
  // The packages build to CommonJS, with an ES module entry each (see build.mjs); then the examples.
  build(pkg.buildProjects);
}
