// Every TypeScript block of README.md, docs/ and the package READMEs compiles, strictly, against
// the built packages (brought up to date first), and the blocks marked runnable run, Redis and
// PostgreSQL being the local ones. See snippets.ts for the markers.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildPackages } from '../adapters/build-packages.js';
import {
  assertRan,
  checkInstallLines,
  checkSnippets,
  createProject,
  projectFile,
  runJestSnippets,
  root,
  runSnippet,
  typescriptSnippets,
  writeSnippets,
  type RunResult,
  type WrittenSnippet,
} from './snippets.js';

const runTimeoutMs = 10_000;
const jestTimeoutMs = 30_000;

const snippets = typescriptSnippets();
const where = (snippet: { doc: string; line: number }) => `${snippet.doc}:${snippet.line}`;
let dir: string;
let written: WrittenSnippet[];
let diagnostics: string[];
const runs = new Map<string, Promise<RunResult>>();
let jestRun: Promise<RunResult>;

// The tsconfig.json of docs/getting-started.md, as written; skipLibCheck only keeps the check
// fast (the libraries' own .d.ts files are not the docs' business).
const compilerOptions = { ...(projectFile('tsconfig.json').json.compilerOptions as Record<string, unknown>), skipLibCheck: true };

beforeAll(async () => {
  // The blocks import the built packages, as an application would: bring dist/ up to date.
  await buildPackages(readdirSync(join(root, 'packages')));
  dir = createProject(projectFile('package.json').json);
  written = writeSnippets(dir, snippets);
  // The runs start first and go on in other processes while this one type-checks.
  jestRun = runJestSnippets(dir, written.filter((block) => block.flags.has('jest')), jestTimeoutMs);
  for (const block of written.filter((snippet) => snippet.flags.has('run'))) {
    runs.set(where(block), runSnippet(dir, block, written, compilerOptions, runTimeoutMs));
  }
  diagnostics = checkSnippets(dir, written, compilerOptions);
}, 60_000);

afterAll(async () => {
  await Promise.all([jestRun, ...runs.values()]);
  if (dir && process.env.EPILOGUE_KEEP_DOCS !== '1') rmSync(dir, { recursive: true, force: true });
});

test('the docs have TypeScript blocks, and runnable ones', () => {
  expect(snippets.length).toBeGreaterThan(80);
  expect(runs.size).toBeGreaterThan(3);
});

test('every TypeScript block compiles, strictly', () => {
  expect(diagnostics.join('\n')).toBe('');
});

const runnable = snippets.filter((snippet) => snippet.flags.has('run'));
test.each(runnable.map(where))('%s runs and exits 0', async (name) => {
  assertRan(name, await runs.get(name)!, runTimeoutMs);
});

// The Jest blocks (docs/testing.md's tests of its example app) in a Jest run of their own.
test('the Jest blocks pass under Jest, and Jest exits by itself', async () => {
  const blocks = snippets.filter((snippet) => snippet.flags.has('jest'));
  expect(blocks.length).toBeGreaterThan(0);
  const result = await jestRun;
  assertRan(`Jest, over ${blocks.map(where).join(', ')},`, result, jestTimeoutMs);
  expect(result.output).toContain(`Tests:       ${blocks.length} passed, ${blocks.length} total`);
}, jestTimeoutMs + 5_000);

test('the install lines install what the examples after them import', () => {
  expect(checkInstallLines().join('\n')).toBe('');
});
