import { execFile } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');
const fixtures = 'test/lint/fixtures';

interface LintResult {
  filePath: string;
  messages: { ruleId: string | null; message: string; line: number }[];
}

/** Runs the repository's own `eslint` on the fixture files, ignores off, and parses its JSON report. */
function lint(files: string[]): Promise<{ code: number; results: LintResult[] }> {
  const eslint = join(root, 'node_modules', 'eslint', 'bin', 'eslint.js');
  const args = [eslint, '--no-ignore', '--format', 'json', ...files.map((file) => join(fixtures, file))];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { cwd: root }, (error, stdout) => {
      try {
        resolve({ code: error ? Number(error.code) : 0, results: JSON.parse(stdout) as LintResult[] });
      } catch (parseError) {
        reject(parseError);
      }
    });
  });
}

const cycleMessages = (results: LintResult[]) =>
  results.flatMap((result) =>
    result.messages
      .filter((message) => message.ruleId === 'import-x/no-cycle')
      .map((message) => `${result.filePath.slice(root.length + 1)}:${message.line} ${message.message}`),
  );

describe('the import cycle lint rule', () => {
  it('fails on a cycle of value imports, at the import in each file', async () => {
    const { code, results } = await lint(['left.ts', 'right.ts']);
    expect(code).toBe(1);
    expect(cycleMessages(results)).toEqual([
      `${fixtures}/left.ts:3 Dependency cycle detected`,
      `${fixtures}/right.ts:2 Dependency cycle detected`,
    ]);
  });

  it('allows a cycle of type-only imports', async () => {
    const { code, results } = await lint(['type-left.ts', 'type-right.ts']);
    expect(cycleMessages(results)).toEqual([]);
    expect(code).toBe(0);
  });
});
