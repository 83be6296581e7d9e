// Runs @epilogue/bullmq's tests (the driver conformance suite among them) against the lowest and
// the highest BullMQ that its peer range allows, as the npm registry lists them. The workspace's
// own BullMQ (its devDependency) is what the whole test suite runs on; every other version of the
// two is installed into a temporary directory and handed to Jest in place of it.
//
//   node scripts/bullmq-range.mjs [--dry-run]   (--dry-run: print the versions and stop)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const manifest = JSON.parse(readFileSync(join(root, 'packages', 'bullmq', 'package.json'), 'utf8'));
const range = manifest.peerDependencies.bullmq;
const workspace = manifest.devDependencies.bullmq;
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const listed = JSON.parse(execFileSync(npm, ['view', `bullmq@${range}`, 'version', '--json'], { encoding: 'utf8' }));
const versions = Array.isArray(listed) ? listed : [listed];
if (versions.length === 0) throw new Error(`the npm registry lists no bullmq in the peer range ${range}`);
// npm lists them in ascending order.
const ends = [...new Set([versions[0], versions.at(-1)])];
console.log(`bullmq peer range ${range}: lowest ${versions[0]}, highest ${versions.at(-1)}; the workspace has ${workspace}`);
if (process.argv.includes('--dry-run')) process.exit(0);

// BullMQ (6.7.6 and later) takes ioredis as an optional peer, as an app has it: installed beside
// it, the one the workspace has, and handed to Jest with it so that the driver and BullMQ share it.
const ioredis = JSON.parse(readFileSync(join(root, 'packages', 'bullmq', 'node_modules', 'ioredis', 'package.json'), 'utf8')).version;

for (const version of ends.filter((end) => end !== workspace)) {
  const dir = mkdtempSync(join(tmpdir(), `epilogue-bullmq-${version}-`));
  try {
    const install = ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
    execFileSync(npm, [...install, `bullmq@${version}`, `ioredis@${ioredis}`], {
      stdio: 'inherit',
    });
    const installed = JSON.parse(readFileSync(join(dir, 'node_modules', 'bullmq', 'package.json'), 'utf8')).version;
    if (installed !== version) throw new Error(`asked npm for bullmq ${version}, got ${installed}`);
    console.log(`@epilogue/bullmq tests on bullmq ${version} (ioredis ${ioredis}):`);
    execFileSync(process.execPath, [join(root, 'node_modules', 'jest', 'bin', 'jest.js'), 'packages/bullmq'], {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, EPILOGUE_BULLMQ_DIR: join(dir, 'node_modules'), EPILOGUE_BULLMQ_VERSION: version },
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
