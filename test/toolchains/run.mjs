// Runs every toolchain fixture against the packed tarballs, as an application outside the
// repository would use them: one pack, one `npm install` (of the tarballs and every toolchain,
// from the npm cache when it has them) into a temporary directory, then each fixture's commands
// there, two at a time. Each fixture runs scenario/index.js (an after-response job and a queued
// job) and must print its PASSED line. Needs Redis on 127.0.0.1:6379 (the tsc fixture's BullMQ).
//
//   node test/toolchains/run.mjs [--tarballs DIR] [--only name,name] [--keep]
//     --tarballs: use the tarballs already packed there (scripts/check-packages.mjs --keep DIR)
//     --keep: leave the temporary directory, and print where it is
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packPackages, tarballsIn } from '../../scripts/check-packages.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const argument = (name) => {
  const index = process.argv.indexOf(name);
  return index > 0 ? process.argv[index + 1] : undefined;
};
const PASSED = 'EPILOGUE_SCENARIO_PASSED';

const tsc = ['node_modules/typescript/bin/tsc', '-p'];
/** Each fixture: its directory under fixtures/, the commands that build and run it (from the install root). */
const fixtures = [
  { name: 'tsc-node', typescript: 'src', steps: [[...tsc, 'fixtures/tsc-node'], ['fixtures/tsc-node/dist/main.js']] },
  { name: 'tsc-cjs', typescript: 'src', steps: [[...tsc, 'fixtures/tsc-cjs'], ['fixtures/tsc-cjs/dist/main.js']] },
  { name: 'tsc-standard', typescript: 'src', steps: [[...tsc, 'fixtures/tsc-standard'], ['fixtures/tsc-standard/dist/main.js']] },
  { name: 'tsx', typescript: 'src', steps: [['node_modules/tsx/dist/cli.mjs', 'fixtures/tsx/src/main.ts']] },
  { name: 'js-esm', steps: [['fixtures/js-esm/src/main.js']] },
  { name: 'cjs-require', steps: [['fixtures/cjs-require/src/main.cjs']] },
  {
    name: 'swc',
    typescript: 'src',
    steps: [
      ['node_modules/@swc/cli/bin/swc.js', 'src', '-d', 'dist', '--strip-leading-paths', { cwd: 'fixtures/swc' }],
      ['fixtures/swc/dist/main.js'],
    ],
  },
  { name: 'vitest', typescript: 'test', steps: [['node_modules/vitest/vitest.mjs', 'run', '--root', 'fixtures/vitest']] },
  {
    name: 'jest-esm',
    typescript: 'test',
    steps: [['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--config', 'fixtures/jest-esm/jest.config.mjs']],
  },
  { name: 'jest-cjs', typescript: 'test', steps: [['node_modules/jest/bin/jest.js', '--config', 'fixtures/jest-cjs/jest.config.js']] },
];

function run(args, cwd) {
  return new Promise((resolve) => {
    const started = Date.now();
    execFile(process.execPath, args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, FORCE_COLOR: '0' } }, (error, stdout, stderr) =>
      resolve({ ok: !error, output: `${stdout}${stderr}`, ms: Date.now() - started }),
    );
  });
}

async function install(root, tarballs) {
  const manifest = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
  manifest.dependencies = Object.fromEntries([...tarballs].map(([name, tarball]) => [name, `file:${tarball}`]));
  writeFileSync(join(root, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await new Promise((resolve, reject) => {
    execFile(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: root, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(`npm install of the tarballs and toolchains failed:\n${stdout}${stderr}`)) : resolve(),
    );
  });
  cpSync(join(here, 'scenario'), join(root, 'scenario'), { recursive: true });
  cpSync(join(here, 'fixtures'), join(root, 'fixtures'), { recursive: true });
}

async function runFixture(root, fixture) {
  if (fixture.typescript) cpSync(join(here, 'jobs.ts'), join(root, 'fixtures', fixture.name, fixture.typescript, 'jobs.ts'));
  let total = 0;
  let output = '';
  for (const step of fixture.steps) {
    const options = typeof step.at(-1) === 'object' ? step.at(-1) : {};
    const args = step.filter((part) => typeof part === 'string');
    const cwd = options.cwd ? join(root, options.cwd) : root;
    const absolute = args.map((part) => (part.startsWith('node_modules/') ? join(root, part) : part));
    const result = await run(absolute, cwd);
    total += result.ms;
    output += result.output;
    if (!result.ok) return { ...fixture, ok: false, ms: total, output };
  }
  const passed = output.split('\n').find((line) => line.includes(PASSED));
  return { ...fixture, ok: passed !== undefined, ms: total, output, passed };
}

async function main() {
  const started = Date.now();
  const only = argument('--only')?.split(',');
  const chosen = fixtures.filter((fixture) => !only || only.includes(fixture.name));
  const root = mkdtempSync(join(tmpdir(), 'epilogue-toolchains-'));
  const packed = argument('--tarballs') ?? mkdtempSync(join(tmpdir(), 'epilogue-pack-'));
  try {
    const tarballs = argument('--tarballs') ? await tarballsIn(packed) : await packPackages(packed);
    await install(root, tarballs);
    const installed = Date.now();
    const results = [];
    for (let index = 0; index < chosen.length; index += 2) {
      results.push(...(await Promise.all(chosen.slice(index, index + 2).map((fixture) => runFixture(root, fixture)))));
    }
    for (const result of results) {
      const detail = result.passed ? result.passed.slice(result.passed.indexOf(PASSED) + PASSED.length + 1) : 'FAILED';
      console.log(`${result.ok ? 'ok  ' : 'FAIL'} ${result.name.padEnd(13)} ${String(result.ms).padStart(6)} ms  ${detail}`);
    }
    for (const result of results.filter((item) => !item.ok)) {
      console.error(`\n--- ${result.name} ---\n${result.output}${result.passed ? '' : `\n(no ${PASSED} line)`}`);
    }
    console.log(`pack and install ${((installed - started) / 1000).toFixed(1)} s, fixtures ${((Date.now() - installed) / 1000).toFixed(1)} s`);
    if (results.some((result) => !result.ok)) process.exitCode = 1;
  } finally {
    if (process.argv.includes('--keep')) console.log(`kept ${root}`);
    else rmSync(root, { recursive: true, force: true });
    if (!argument('--tarballs')) rmSync(packed, { recursive: true, force: true });
  }
}

await main();
