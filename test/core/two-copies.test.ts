// Two copies of @epilogue/core in one process (two versions installed) share one scope storage
// and one application registry, so no work is lost, and the process is warned with
// E_DUPLICATE_CORE; a copy that cannot share them refuses to load, with the same code.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPackages, repositoryRoot } from '../adapters/build-packages.js';

const core = join(repositoryRoot, 'packages/core');
const script = join(__dirname, 'fixtures/two-copies.mjs');
let directory: string;

// A second install of the built core in a directory of its own, with its dependencies.
function copyOfCore(edit?: (text: string) => string): string {
  const copy = join(directory, `core-${Math.random().toString(36).slice(2)}`);
  cpSync(join(core, 'dist'), join(copy, 'dist'), { recursive: true });
  writeFileSync(join(copy, 'package.json'), JSON.stringify({ name: '@epilogue/core', version: '0.1.0', type: 'commonjs' }));
  symlinkSync(join(core, 'node_modules'), join(copy, 'node_modules'));
  if (edit !== undefined) {
    const file = join(copy, 'dist/process-state.js');
    writeFileSync(file, edit(readFileSync(file, 'utf8')));
  }
  return copy;
}

function run(copy: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, copy], { cwd: repositoryRoot }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { message: `${error.message}\n${stdout}${stderr}` }));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>);
    });
  });
}

beforeAll(async () => {
  directory = mkdtempSync(join(tmpdir(), 'epilogue-two-copies-'));
  await buildPackages(['core']);
}, 120_000);
afterAll(() => rmSync(directory, { recursive: true, force: true }));

describe('two copies of @epilogue/core in one process', () => {
  it('share the scope and the applications, so work deferred through the second copy runs, and warn once', async () => {
    const result = await run(copyOfCore());
    expect(result).toMatchObject({
      sawScope: true,
      ran: ['work', 'deferred through the second copy'],
      sameApplication: true,
    });
    const warnings = result.warnings as { name: string; code: string; message: string }[];
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ name: 'DuplicateCoreError', code: 'E_DUPLICATE_CORE' });
    expect(warnings[0].message).toContain('2 copies of @epilogue/core are loaded in this process (versions 0.1.0, 0.1.0)');
    expect(warnings[0].message).toContain('npm ls @epilogue/core');
  });

  it('refuses to load a copy that cannot share the state, with E_DUPLICATE_CORE naming both versions', async () => {
    const copy = copyOfCore((text) =>
      text.replace(/const FORMAT = \d+;/, 'const FORMAT = 99;').replace('require("./version.js")', 'require("./version-next.js")'),
    );
    writeFileSync(join(copy, 'dist/version-next.js'), "exports.VERSION = '9.0.0';\n");
    const { importError } = (await run(copy)) as { importError: { name: string; code: string; message: string } };
    expect(importError).toMatchObject({ name: 'DuplicateCoreError', code: 'E_DUPLICATE_CORE' });
    expect(importError.message).toContain('@epilogue/core 9.0.0 cannot run next to @epilogue/core 0.1.0');
  });
});
