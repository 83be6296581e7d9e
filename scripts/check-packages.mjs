// Checks the tarballs a registry would receive: packs every published workspace package with the
// pinned pnpm (as `pnpm publish` would pack it: workspace: ranges replaced by versions), then runs
// publint and @arethetypeswrong/cli on each tarball, and checks what the two do not: a LICENSE,
// the registry fields, no build info, no private package. Exits 1 with every problem listed.
//
// The packages are CommonJS with an ES module entry beside each CommonJS one (see
// scripts/esm-entries.mjs), so attw runs with its `node16` profile: `require()` and `import`
// under Node's own resolution, each to a module of its kind, with types of its kind. Builds what
// is out of date first.
//
//   node scripts/check-packages.mjs [--keep DIR]   (--keep: pack into DIR and leave the tarballs)
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify, stripVTControlCharacters } from 'node:util';
import { build } from './build.mjs';

const exec = promisify(execFile);
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const rootPackage = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

/**
 * Builds (tsc -b, incremental) and packs every published package (those under packages/, none
 * private) into `destination`.
 *
 * @param {string} destination - An existing directory.
 * @returns {Promise<Map<string, string>>} Package name to tarball path.
 */
export async function packPackages(destination) {
  // The build is incremental: quick when dist/ is current, and a stale dist/ is never packed.
  build(rootPackage.buildProjects.filter((path) => path.startsWith('packages/')));
  const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
  await exec(npx, ['-y', rootPackage.packageManager, '-r', '--filter', './packages/*', 'pack', '--pack-destination', destination], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
  });
  return tarballsIn(destination);
}

/**
 * The tarballs in `directory`, by the package name in each one's package.json.
 *
 * @param {string} directory - Where `packPackages()` (or `--keep`) left them.
 * @returns {Promise<Map<string, string>>} Package name to tarball path.
 */
export async function tarballsIn(directory) {
  const tarballs = new Map();
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.tgz'))) {
    const manifest = JSON.parse((await exec('tar', ['-xzOf', join(directory, file), 'package/package.json'])).stdout);
    tarballs.set(manifest.name, join(directory, file));
  }
  return tarballs;
}

async function listing(tarball) {
  return (await exec('tar', ['-tzf', tarball], { maxBuffer: 16 * 1024 * 1024 })).stdout.split('\n').filter(Boolean);
}

const ONE_COPY = /^(@epilogue\/(core|bus|queue|events)|tsyringe)$/;
const PRIVATE = /^@epilogue-internal\//;

// What publint and attw do not check.
async function ownChecks(name, tarball) {
  const problems = [];
  const files = await listing(tarball);
  const manifest = JSON.parse((await exec('tar', ['-xzOf', tarball, 'package/package.json'])).stdout);
  if (manifest.private) problems.push('a private package was packed');
  if (!files.includes('package/LICENSE')) problems.push('no LICENSE file');
  for (const file of files.filter((path) => path.endsWith('.tsbuildinfo'))) problems.push(`ships ${file}`);
  if (!manifest.repository?.url || !manifest.repository?.directory) problems.push('no repository url and directory');
  if (!manifest.homepage || !manifest.bugs?.url) problems.push('no homepage or bugs url');
  if (!Array.isArray(manifest.keywords) || manifest.keywords.length === 0) problems.push('no keywords');
  if (manifest.publishConfig?.access !== 'public') problems.push('publishConfig.access is not "public"');
  // The packages an app must have once (their classes are DI tokens, their state is shared) are
  // peer dependencies: as dependencies, an app's own install would sit beside a second copy.
  for (const dependency of Object.keys(manifest.dependencies ?? {}).filter((name) => ONE_COPY.test(name))) {
    problems.push(`${dependency} is a dependency; it must be a peer dependency (one copy per app)`);
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dependency, range] of Object.entries(manifest[field] ?? {})) {
      if (String(range).startsWith('workspace:')) problems.push(`${field}.${dependency} is still ${range}`);
    }
  }
  // The private workspace packages (the tests' helpers) are never published: a tarball that names
  // one, even among its devDependencies, names a package the registry does not have.
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies', 'devDependencies']) {
    for (const dependency of Object.keys(manifest[field] ?? {}).filter((name) => PRIVATE.test(name))) {
      problems.push(`${field}.${dependency} is a private workspace package`);
    }
  }
  return problems.map((problem) => `${name}: ${problem}`);
}

async function publint(name, tarball) {
  try {
    // Plain text whatever the terminal: CI may set FORCE_COLOR, and colour codes would hide the
    // lines this filter drops.
    const { stdout } = await exec(bin('publint'), ['run', tarball, '--level', 'suggestion'], {
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    });
    const report = stripVTControlCharacters(stdout).split('\n').filter((line) => !/^(Running publint|Unpacking tarball|Linting)/.test(line)).join('\n').trim();
    return report === 'All good!' ? [] : [`${name}: publint:\n${report}`];
  } catch (error) {
    return [`${name}: publint failed:\n${error.stdout ?? ''}${error.stderr ?? error.message}`];
  }
}

async function attw(name, tarball) {
  try {
    await exec(bin('attw'), [tarball, '--profile', 'node16', '--format', 'ascii', '--no-color', '--no-emoji']);
    return [];
  } catch (error) {
    return [`${name}: @arethetypeswrong/cli (--profile node16):\n${error.stdout ?? ''}${error.stderr ?? error.message}`];
  }
}

// Two at a time: each attw run is a TypeScript program of its own.
async function inPairs(items, task) {
  const results = [];
  for (let index = 0; index < items.length; index += 2) {
    results.push(...(await Promise.all(items.slice(index, index + 2).map(task))));
  }
  return results.flat();
}

async function main() {
  const keep = process.argv.indexOf('--keep');
  const destination = keep > 0 ? process.argv[keep + 1] : mkdtempSync(join(tmpdir(), 'epilogue-pack-'));
  mkdirSync(destination, { recursive: true });
  const started = Date.now();
  try {
    const tarballs = [...(await packPackages(destination))];
    const problems = await inPairs(tarballs, async ([name, tarball]) => [
      ...(await ownChecks(name, tarball)),
      ...(await publint(name, tarball)),
      ...(await attw(name, tarball)),
    ]);
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (problems.length > 0) {
      console.error(`${problems.length} problem(s) in ${tarballs.length} packages:\n\n${problems.join('\n\n')}`);
      process.exitCode = 1;
    } else {
      console.log(`${tarballs.length} packages packed; publint, attw (node16) and the registry checks found nothing (${seconds} s).`);
    }
  } finally {
    if (keep < 0) rmSync(destination, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
