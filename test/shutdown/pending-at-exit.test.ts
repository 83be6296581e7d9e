// Work registered outside any scope waits for app.terminate(); a script that ends without it
// would lose that work silently. Before such a process exits, it is reported, once, by name.
import { join } from 'node:path';
import { buildPackages } from '../adapters/build-packages.js';
import { exitCode, startProcess } from '@epilogue-internal/test-support/processes';

const script = join(__dirname, 'fixtures/forgets-to-terminate.mjs');

async function runScript(args: string[]): Promise<Record<string, unknown>[]> {
  const started = startProcess('pending-at-exit', script, args);
  expect(await exitCode(started)).toBe(0);
  return started
    .output()
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

beforeAll(() => buildPackages(['core', 'bus']), 120_000);

describe('a script that never calls app.terminate()', () => {
  it('reports the work that never ran, once, naming it, before the process exits', async () => {
    const lines = await runScript([]);
    const reports = lines.filter((line) => 'code' in line);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ code: 'E_PENDING_AT_EXIT', context: { phase: 'exit', scope: 'root' } });
    expect(reports[0].message).toContain('exiting with 3 callback(s) registered outside any scope that never ran: flush-metrics, SendDigest ×2');
    expect(reports[0].message).toContain('await app.shutdown()');
    expect(lines.at(-1)).toEqual({ ran: [] });
  });

  it('reports nothing when the script ran that work with app.terminate()', async () => {
    const lines = await runScript(['terminate']);
    expect(lines).toEqual([{ ran: ['flush-metrics', 'SendDigest', 'SendDigest'] }]);
  });
});
