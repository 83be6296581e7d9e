// The package's entry points, built and loaded by name in a child process as an application or
// a driver package loads them: the main entry point pulls in neither node:assert (which the
// conformance suites use) nor the CLI, and each subpath resolves through `exports` for both
// `import` and `require()`, to one module.
import { execFile } from 'node:child_process';
import { join, relative } from 'node:path';
import { buildPackages, repositoryRoot } from '../../../test/adapters/build-packages.js';

const script = join(__dirname, 'fixtures', 'entry-points.mjs');
const dist = join(repositoryRoot, 'packages', 'queue', 'dist');

function run<T>(...args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [script, ...args], { cwd: repositoryRoot }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { message: `${error.message}\n${stdout}${stderr}` }));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()!) as T);
    });
  });
}

interface Loaded {
  /** Node's built-in modules loaded, such as `assert` (`internal/...` ones included). */
  builtins: string[];
  /** The files in require.cache. */
  files: string[];
}

/** What loading `subpath` (`.` for the main entry) pulled in: public built-ins, and files of the package's dist/. */
async function load(how: 'require' | 'import', subpath: string) {
  const loaded = await run<Loaded>('load', how, subpath);
  return {
    builtins: loaded.builtins.filter((name) => !name.startsWith('internal/')),
    files: loaded.files.filter((file) => file.startsWith(dist)).map((file) => relative(dist, file)),
  };
}

beforeAll(() => buildPackages(['core', 'bus', 'queue']), 120_000);

describe('the entry points of @epilogue/queue', () => {
  it.each(['require', 'import'] as const)('the main entry point (by %s) loads neither node:assert nor the CLI, the suites or the driver entry', async (how) => {
    const { builtins, files } = await load(how, '.');
    expect(files).toContain('index.js');
    expect(files).toContain(join('worker', 'worker.js'));
    expect(builtins).not.toContain('assert');
    expect(builtins).not.toContain('assert/strict');
    expect(files.filter((file) => /^(cli|testing)[./]|^driver\.|describe-/.test(file))).toEqual([]);
  });

  it('the testing entry point does load node:assert (the check above sees it)', async () => {
    const { builtins, files } = await load('require', 'testing');
    expect(builtins).toContain('assert');
    expect(files).toContain(join('testing', 'describe-queue-driver.js'));
  });

  it('each subpath resolves through exports, import to the .mjs and require() to the .js of one module', async () => {
    type Entry = { require: string; import: string; names: string[]; same: boolean };
    const entries = await run<Record<string, Entry>>('resolve');
    const expected = { '.': 'index', driver: 'driver', testing: 'testing', cli: 'cli' };
    for (const [subpath, file] of Object.entries(expected)) {
      expect({ subpath, require: entries[subpath].require, import: entries[subpath].import, same: entries[subpath].same }).toEqual({
        subpath,
        require: join(dist, `${file}.js`),
        import: `file://${join(dist, `${file}.mjs`)}`,
        same: true,
      });
    }
    expect(entries['.'].names).toEqual(expect.arrayContaining(['configureQueues', 'MemoryDriver', 'SyncDriver', 'Worker', 'QueuedJob']));
    expect(entries['.'].names).not.toEqual(expect.arrayContaining(['runCli']));
    expect(entries.driver.names).toEqual(expect.arrayContaining(['deliver', 'failedRecord', 'JobRunner', 'setLongTimeout', 'loadAppModule']));
    expect(entries.testing.names).toEqual(['NoTestRunnerError', 'describeAtomicStore', 'describeBatchStore', 'describeQueueDriver']);
    expect(entries.cli.names).toEqual(expect.arrayContaining(['runCli', 'CliUsageError', 'WorkerInterruptedError']));
  });

  it('no value is exported by two entry points but what loading an app module needs (the CLI and a driver that loads the app)', async () => {
    const entries = await run<Record<string, { names: string[] }>>('resolve');
    const homes = new Map<string, string[]>();
    for (const [subpath, { names }] of Object.entries(entries)) for (const name of names) homes.set(name, [...(homes.get(name) ?? []), subpath]);
    const shared = [...homes].filter(([, subpaths]) => subpaths.length > 1);
    expect(Object.fromEntries(shared)).toEqual({
      AppModuleError: ['driver', 'cli'],
      appModulePath: ['driver', 'cli'],
      loadAppModule: ['driver', 'cli'],
    });
  });
});
