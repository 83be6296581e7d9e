import { Application, defer, runCommand, type ErrorContext } from '@epilogue/core';

describe('runCommand', () => {
  const reports: ErrorContext[] = [];
  const app = new Application({ report: (_error, context) => reports.push(context) });

  it('resolves to 0 and runs deferred, then terminating callbacks, when the command succeeds', async () => {
    const ran: string[] = [];
    const code = await runCommand(app, async () => {
      app.terminating(() => ran.push('terminating'));
      defer(() => ran.push('deferred'));
      ran.push('command');
    });
    expect(code).toBe(0);
    expect(ran).toEqual(['command', 'deferred', 'terminating']);
  });

  it('resolves to the returned number and runs only always-deferred callbacks when it is not 0', async () => {
    const ran: string[] = [];
    const code = await runCommand(app, () => {
      defer(() => ran.push('skipped'));
      defer(() => ran.push('always'), 'report', true);
      app.terminating(() => ran.push('terminating'));
      return 3;
    });
    expect(code).toBe(3);
    expect(ran).toEqual(['always', 'terminating']);
  });

  it('reports a throwing command and resolves to 1', async () => {
    const code = await runCommand(
      app,
      () => {
        throw new Error('bad input');
      },
      { name: 'import:users' },
    );
    expect(code).toBe(1);
    expect(reports.at(-1)).toMatchObject({ phase: 'command', scope: 'console', command: 'import:users' });
  });

  it('reports a returned number that is not an exit code with E_INVALID_EXIT_CODE and resolves to 1', async () => {
    const ran: string[] = [];
    const code = await runCommand(app, () => {
      defer(() => ran.push('skipped'));
      return 256;
    });
    expect(code).toBe(1);
    expect(ran).toEqual([]);
    expect(reports.at(-1)).toMatchObject({ phase: 'command', scope: 'console' });
  });
});
