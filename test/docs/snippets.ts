// The TypeScript blocks of the documentation, as code: extracted from README.md, docs/**/*.md and
// packages/*/README.md, written to a project of their own that resolves the workspace packages as
// an application would (through node_modules, to the built packages), type-checked strictly in one
// program, and the runnable ones run. docs.test.ts drives it.
//
// A ```ts block is a complete module by default: what a reader copies must compile as it is. An
// HTML comment on the line before the fence says otherwise, in space-separated words:
//
//   <!-- snippet: fragment -->        part of a larger program: checked after a prelude (below)
//   <!-- snippet: run -->             also run with Node; it must exit 0 within 10 s
//   <!-- snippet: jest -->            a Jest test file: run with Jest, which must pass and exit
//                                     by itself (an open connection keeps it alive, and fails)
//   <!-- snippet: file=app.ts -->     the block's file name, so that other blocks of the page can
//                                     `import ... from './app.js'` (default: L<line>.ts)
//
// A fragment's prelude is the rest of its comment, up to `-->` (after the marker's words on its
// first line, and on the lines after it): the imports and `declare`s that the prose around the
// block stands for. A page may give one prelude to all of its fragments
// without one of their own, in a `<!-- snippet-prelude: ... -->` comment. The prelude of a
// runnable fragment holds real code instead of `declare`s, and may check, on exit, what the
// block did.
//
// `<!-- snippet: install -->` before a ```sh block of `npm install` lines checks that they install
// every package the page's next TypeScript block imports, with the @types/ of untyped ones.
//
// `<!-- snippet: package.json -->` and `<!-- snippet: tsconfig.json -->` before a ```json block
// make it the project's package.json or tsconfig.json (docs/getting-started.md's), so those are
// tested too.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/** The repository's root directory. */
export const root = join(__dirname, '..', '..');

/** One fenced block of a Markdown page. */
export interface Snippet {
  /** The page, relative to the root (`docs/events.md`). */
  doc: string;
  /** The 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
  /** The words of the snippet comment before the fence. */
  flags: Set<string>;
  /** `file=` of the comment, else `L<line>.ts`. */
  file: string;
  /** The fragment's prelude (its own, else the page's), or '' for a complete block. */
  prelude: string;
}

/** A block as written to the project: where its file is and how its lines map to the page. */
export interface WrittenSnippet extends Snippet {
  path: string;
  preludeLines: number;
}

const fence = /^(\s*)```(\w*)\s*$/;
const comment = /^\s*<!--\s*snippet:\s*([^\n]*?)\s*(?:-->\s*$|$)/;

/** The Markdown pages whose blocks are checked: README.md, docs/**\/*.md, packages/*\/README.md. */
export function documentationPages(): string[] {
  const pages = ['README.md'];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.md')) pages.push(path);
    }
  };
  walk('docs');
  for (const name of readdirSync(join(root, 'packages')).sort()) {
    if (existsSync(join(root, 'packages', name, 'README.md'))) pages.push(`packages/${name}/README.md`);
  }
  return pages;
}

/** Every fenced block of a page, with the snippet comment that precedes it. */
export function extractSnippets(doc: string, text = readFileSync(join(root, doc), 'utf8')): Snippet[] {
  const lines = text.split('\n');
  const pagePrelude = /<!--\s*snippet-prelude:\s*\n([\s\S]*?)-->/.exec(text)?.[1] ?? '';
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = fence.exec(lines[i]);
    if (!open) continue;
    const indent = open[1].length;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^\s*```\s*$/.test(lines[i]); i++) body.push(lines[i].slice(indent));
    const { flags, file, prelude } = readComment(lines, start);
    snippets.push({
      doc,
      line: start + 1,
      lang: open[2],
      code: body.join('\n') + '\n',
      flags,
      file: file ?? `L${start + 1}${flags.has('jest') ? '.test' : ''}.ts`,
      prelude: flags.has('fragment') ? (prelude || pagePrelude) : '',
    });
  }
  return snippets;
}

// The snippet comment ending on the line before the fence (blank lines between are allowed).
function readComment(lines: string[], fenceIndex: number): { flags: Set<string>; file?: string; prelude: string } {
  let end = fenceIndex - 1;
  while (end >= 0 && lines[end].trim() === '') end--;
  if (end < 0 || !lines[end].trim().endsWith('-->')) return { flags: new Set(), prelude: '' };
  let begin = end;
  while (begin >= 0 && !lines[begin].includes('<!--')) begin--;
  const head = begin >= 0 ? comment.exec(lines[begin]) : null;
  if (!head) return { flags: new Set(), prelude: '' };
  // The marker's words come first; whatever follows them on the comment's first line is already
  // prelude (`<!-- snippet: fragment import { X } from 'y'; declare const z: X; -->`).
  const words: string[] = [];
  let rest = head[1].replace(/-->\s*$/, '').trim();
  for (let word = /^\S+/.exec(rest)?.[0]; word !== undefined && isMarkerWord(word); word = /^\S+/.exec(rest)?.[0]) {
    words.push(word);
    rest = rest.slice(word.length).trimStart();
  }
  const file = words.find((word) => word.startsWith('file='))?.slice('file='.length);
  const following = begin === end ? '' : lines.slice(begin + 1, end).join('\n') + '\n' + lines[end].replace(/-->\s*$/, '');
  const prelude = rest === '' ? following : `${rest}\n${following}`;
  return { flags: new Set(words.filter((word) => !word.startsWith('file='))), file, prelude: prelude.trim() ? prelude.trimEnd() + '\n' : '' };
}

const markerWords = new Set(['fragment', 'run', 'jest', 'install', 'package.json', 'tsconfig.json']);
const isMarkerWord = (word: string): boolean => markerWords.has(word) || word.startsWith('file=');

/** The TypeScript blocks of every documentation page. */
export function typescriptSnippets(pages = documentationPages()): Snippet[] {
  return pages.flatMap((doc) => extractSnippets(doc)).filter((snippet) => snippet.lang === 'ts');
}

/** The ```json block marked with `<!-- snippet: <name> -->` (package.json, tsconfig.json). */
export function projectFile(name: string, pages = documentationPages()): { snippet: Snippet; json: Record<string, unknown> } {
  const found = pages.flatMap((doc) => extractSnippets(doc)).filter((snippet) => snippet.flags.has(name));
  if (found.length !== 1) throw new TypeError(`Expected one block marked <!-- snippet: ${name} --> in the docs, found ${found.length}.`);
  return { snippet: found[0], json: JSON.parse(found[0].code) as Record<string, unknown> };
}

/**
 * Creates the project the blocks are written to, afresh, in a temporary directory of this
 * checkout (the same path every time, which keeps Jest's transform cache warm): the package.json
 * of the docs, and a node_modules of links to the workspace packages and to the root's
 * dependencies, so that the blocks resolve `@epilogue/*`, `fastify`, `ioredis`... as an
 * installed application does.
 */
export function createProject(packageJson: Record<string, unknown>): string {
  const dir = join(tmpdir(), `epilogue-docs-${createHash('sha256').update(root).digest('hex').slice(0, 12)}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'epilogue-docs', private: true, ...packageJson }, null, 2));
  const modules = join(dir, 'node_modules');
  const link = (name: string, target: string): void => {
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    if (!existsSync(join(modules, name))) symlinkSync(target, join(modules, name), 'junction');
  };
  for (const name of readdirSync(join(root, 'packages'))) {
    const manifest = join(root, 'packages', name, 'package.json');
    if (existsSync(manifest)) link((JSON.parse(readFileSync(manifest, 'utf8')) as { name: string }).name, join(root, 'packages', name));
  }
  const rootModules = join(root, 'node_modules');
  for (const entry of readdirSync(rootModules)) {
    if (entry.startsWith('.')) continue;
    const names = entry.startsWith('@') ? readdirSync(join(rootModules, entry)).map((sub) => `${entry}/${sub}`) : [entry];
    for (const name of names) link(name, join(rootModules, name));
  }
  return dir;
}

/** Writes each block to the project (its prelude first, then `export {}` so that it is a module). */
export function writeSnippets(dir: string, snippets: Snippet[]): WrittenSnippet[] {
  return snippets.map((snippet) => {
    const path = join(dir, snippet.doc.replace(/\.md$/, ''), snippet.file);
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path)) throw new TypeError(`${snippet.doc}:${snippet.line}: another block of the page is already named ${snippet.file}.`);
    writeFileSync(path, `${snippet.prelude}${snippet.code}export {};\n`);
    return { ...snippet, path, preludeLines: snippet.prelude === '' ? 0 : snippet.prelude.split('\n').length - 1 };
  });
}

/**
 * Type-checks every block in one program with the docs' tsconfig (strict).
 *
 * @returns The diagnostics, each as `page:line:column: message`, with lines of the page.
 */
export function checkSnippets(dir: string, written: WrittenSnippet[], compilerOptions: Record<string, unknown>): string[] {
  const { options, errors } = ts.convertCompilerOptionsFromJson(compilerOptions, dir);
  if (errors.length > 0) return errors.map((error) => `tsconfig.json: ${ts.flattenDiagnosticMessageText(error.messageText, '\n')}`);
  const program = ts.createProgram(
    [...written.map((snippet) => snippet.path), join(__dirname, 'ambient-modules.d.ts')],
    { ...options, noEmit: true },
  );
  const diagnostics = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics(), ...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()];
  const bySource = new Map(written.map((snippet) => [snippet.path, snippet]));
  return diagnostics.map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
    const file = diagnostic.file;
    if (!file || diagnostic.start === undefined) return `TS${diagnostic.code}: ${message}`;
    const { line, character } = file.getLineAndCharacterOfPosition(diagnostic.start);
    const snippet = bySource.get(file.fileName);
    if (!snippet) return `${relative(dir, file.fileName)}:${line + 1}:${character + 1}: TS${diagnostic.code}: ${message}`;
    const where = line < snippet.preludeLines
      ? `${snippet.doc}:${snippet.line} (prelude line ${line + 1})`
      : `${snippet.doc}:${snippet.line + 1 + line - snippet.preludeLines}:${character + 1}`;
    return `${where}: TS${diagnostic.code}: ${message}`;
  });
}

/** What a run of a block gave. */
export interface RunResult {
  status: number | null;
  timedOut: boolean;
  output: string;
}

/**
 * Runs a block with Node, in the project's directory, within `timeoutMs`. It is compiled on its
 * own (`transpileModule`, as tsx or SWC would), so that runs can start while the whole program
 * is still being type-checked; the blocks it imports are compiled the same way.
 */
export function runSnippet(dir: string, snippet: WrittenSnippet, written: WrittenSnippet[], compilerOptions: Record<string, unknown>, timeoutMs: number): Promise<RunResult> {
  // The project is "type": "module", so its files are ES modules: what NodeNext makes of them.
  const { options } = ts.convertCompilerOptionsFromJson({ ...compilerOptions, module: 'esnext', moduleResolution: 'bundler' }, dir);
  for (const block of written.filter((other) => other.doc === snippet.doc)) {
    const { outputText } = ts.transpileModule(readFileSync(block.path, 'utf8'), { compilerOptions: options, fileName: block.path });
    writeFileSync(block.path.replace(/\.ts$/, '.js'), outputText);
  }
  return run(process.execPath, [snippet.path.replace(/\.ts$/, '.js')], dir, timeoutMs);
}

/**
 * Runs the Jest blocks with Jest (through SWC with decorator metadata, as this repository's own
 * tests run; `@epilogue/*` resolves to the packages' sources). The run must end by itself within
 * `timeoutMs`: a test that leaves a connection open keeps Jest from exiting, and that fails here.
 */
export function runJestSnippets(dir: string, snippets: WrittenSnippet[], timeoutMs: number): Promise<RunResult> {
  const swc = {
    jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' },
    module: { type: 'commonjs' },
  };
  const config = {
    rootDir: dir,
    testEnvironment: 'node',
    testMatch: snippets.map((snippet) => snippet.path),
    transform: { '^.+\\.(t|j)sx?$': [require.resolve('@swc/jest', { paths: [root] }), swc] },
    transformIgnorePatterns: ['/node_modules/(?!\\.pnpm/cookie@|cookie/)'],
    moduleNameMapper: {
      '^@epilogue/([a-z-]+)$': `${root}/packages/$1/src/index.ts`,
      '^@epilogue/testing/jest$': `${root}/packages/testing/src/jest.ts`,
      '^@epilogue/queue/(driver|testing|cli)$': `${root}/packages/queue/src/$1.ts`,
      '^(\\.{1,2}/.*)\\.js$': '$1',
    },
  };
  writeFileSync(join(dir, 'jest.config.json'), JSON.stringify(config));
  const jest = join(root, 'node_modules', 'jest', 'bin', 'jest.js');
  return run(process.execPath, [jest, '--config', join(dir, 'jest.config.json'), '--ci', '--runInBand', '--colors=false'], dir, timeoutMs);
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk));
    let timedOut = false;
    // The timer may fire late, after this process was busy type-checking; by then the child may
    // have exited already, which is seen only after the timers, so look again on setImmediate.
    const timer = setTimeout(() => {
      setImmediate(() => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        timedOut = true;
        child.kill('SIGKILL');
      });
    }, timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, timedOut, output });
    });
  });
}

/** Throws, with the run's output, unless it exited 0 within its time. */
export function assertRan(what: string, result: RunResult, timeoutMs: number): void {
  if (result.timedOut) throw new EvalError(`${what} did not end within ${timeoutMs / 1000} s (something keeps the process alive: an open connection, a timer):\n${result.output}`);
  if (result.status !== 0) throw new EvalError(`${what} exited with ${result.status}:\n${result.output}`);
}

/**
 * Checks the install lines marked `<!-- snippet: install -->` (a ```sh block of `npm install`):
 * every package that the page's next TypeScript block imports is installed by it, and so is the
 * `@types/` package of one that ships no types of its own (express).
 *
 * @returns The problems, each as `page:line: what is missing`.
 */
export function checkInstallLines(pages = documentationPages()): string[] {
  const problems: string[] = [];
  for (const doc of pages) {
    const blocks = extractSnippets(doc);
    for (const [index, install] of blocks.entries()) {
      if (!install.flags.has('install')) continue;
      const installed = new Set(install.code.split(/\s+/).filter((word) => word !== '' && !word.startsWith('-') && !['npm', 'install'].includes(word)));
      const next = blocks.slice(index + 1).find((block) => block.lang === 'ts');
      if (!next) {
        problems.push(`${doc}:${install.line}: no TypeScript block follows the install line`);
        continue;
      }
      for (const name of importedPackages(next.code)) {
        if (!installed.has(name)) problems.push(`${doc}:${install.line}: ${name} is imported (line ${next.line}) but not installed`);
        else if (!shipsTypes(name) && !installed.has(typesPackage(name))) problems.push(`${doc}:${install.line}: ${name} has no types of its own: install ${typesPackage(name)} too`);
      }
    }
  }
  return problems;
}

// The npm packages a module imports (not node: built-ins, not relative paths).
function importedPackages(code: string): Set<string> {
  const names = new Set<string>();
  for (const [, specifier] of code.matchAll(/(?:from|import)\s+'([^'.][^']*)'/g)) {
    if (specifier.startsWith('node:')) continue;
    const parts = specifier.split('/');
    names.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]);
  }
  return names;
}

const typesPackage = (name: string) => `@types/${name.startsWith('@') ? name.slice(1).replace('/', '__') : name}`;

// Whether the package, as installed at the root (or in the workspace), has types of its own.
function shipsTypes(name: string): boolean {
  const manifest = [join(root, 'node_modules', name, 'package.json'), ...readdirSync(join(root, 'packages')).map((dir) => join(root, 'packages', dir, 'package.json'))]
    .filter((path) => existsSync(path))
    .map((path) => JSON.parse(readFileSync(path, 'utf8')) as { name: string; types?: string; typings?: string; exports?: unknown })
    .find((pkg) => pkg.name === name);
  if (!manifest) throw new TypeError(`The docs install ${name}, which this repository does not have: add it to the root package.json's devDependencies.`);
  return manifest.types !== undefined || manifest.typings !== undefined || JSON.stringify(manifest.exports ?? {}).includes('"types"') || existsSync(join(root, 'node_modules', name, 'index.d.ts'));
}
