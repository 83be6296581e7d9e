// The recipe of docs/console.md: a CLI command run with runCommand(), with deferred callbacks,
// an always-deferred one and an after-command job, under each exit-code outcome.
import { Job } from '@epilogue/bus';
import { Application, defer, runCommand, type ErrorContext } from '@epilogue/core';
import { tick } from '@epilogue-internal/test-support/waits';

function recordingApp() {
  const reports: { error: unknown; context: ErrorContext }[] = [];
  const app = new Application({ report: (error, context) => reports.push({ error, context }) });
  return { app, reports };
}

const ran: string[] = [];

class SendImportReport extends Job {
  constructor(public failed: number) {
    super();
  }

  async handle(): Promise<void> {
    await tick(20);
    ran.push(`report sent (${this.failed} failed)`);
  }
}

/** The command of the recipe: imports, registers its after-command work, returns its exit code. */
function importUsers(outcome: { failed?: number; throws?: boolean }) {
  return async (): Promise<number> => {
    await tick(1);
    ran.push('imported');
    defer(() => ran.push('search index refreshed'));
    defer(() => ran.push('metrics pushed'), 'metrics', true);
    SendImportReport.dispatchAfterResponse(outcome.failed ?? 0);
    if (outcome.throws) throw new Error('the CSV file is unreadable');
    return (outcome.failed ?? 0) > 0 ? 2 : 0;
  };
}

beforeEach(() => ran.splice(0));

describe('the console recipe', () => {
  it('exits 0 and runs the deferred callbacks, then the after-command job, before resolving', async () => {
    const { app } = recordingApp();
    const code = await runCommand(app, importUsers({}), { name: 'import:users' });
    expect(code).toBe(0);
    expect(ran).toEqual(['imported', 'search index refreshed', 'metrics pushed', 'report sent (0 failed)']);
    expect(app.activeScopes).toBe(0);
  });

  it('exits with the returned code and runs only the always-deferred callbacks and the job', async () => {
    const { app } = recordingApp();
    const code = await runCommand(app, importUsers({ failed: 3 }), { name: 'import:users' });
    expect(code).toBe(2);
    expect(ran).toEqual(['imported', 'metrics pushed', 'report sent (3 failed)']);
  });

  it('reports a throwing command, exits 1, and still runs the always-deferred callbacks and the job', async () => {
    const { app, reports } = recordingApp();
    const code = await runCommand(app, importUsers({ throws: true }), { name: 'import:users' });
    expect(code).toBe(1);
    expect(ran).toEqual(['imported', 'metrics pushed', 'report sent (0 failed)']);
    expect(reports).toHaveLength(1);
    expect((reports[0].error as Error).message).toBe('the CSV file is unreadable');
    expect(reports[0].context).toEqual({ phase: 'command', scope: 'console', command: 'import:users' });
  });

  it('exits 0 when the command returns something that is not a number', async () => {
    const { app } = recordingApp();
    const code = await runCommand(app, () => {
      defer(() => ran.push('deferred'));
      return 'done';
    });
    expect(code).toBe(0);
    expect(ran).toEqual(['deferred']);
  });

  it('reports a failing after-command callback, runs the rest, and keeps the exit code', async () => {
    const { app, reports } = recordingApp();
    const code = await runCommand(app, () => {
      defer(() => {
        throw new Error('cache unreachable');
      });
      app.terminating(() => {
        throw new Error('mail server down');
      });
      app.terminating(() => ran.push('last callback'));
      return 0;
    });
    expect(code).toBe(0);
    expect(ran).toEqual(['last callback']);
    expect(reports.map((report) => report.context.phase)).toEqual(['deferred', 'terminating']);
  });

  it('lets app.shutdown() on a signal wait for the running command and its after-command work', async () => {
    const { app } = recordingApp();
    const running = runCommand(app, async () => {
      await tick(30);
      SendImportReport.dispatchAfterResponse(0);
      return 0;
    });
    await tick(5);
    await app.shutdown({ timeoutMs: 2_000 });
    expect(ran).toEqual(['report sent (0 failed)']);
    expect(await running).toBe(0);
  });
});
