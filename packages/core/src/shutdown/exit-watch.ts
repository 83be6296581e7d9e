import { PendingAtExitError } from '../errors.js';
import { state } from '../process-state.js';
import type { ErrorReporter } from '../reporter.js';

/** What the exit watch needs of an application. */
interface Watched {
  readonly report: ErrorReporter;
  readonly rootScope: { unfinished(): string[] };
}

/**
 * Watches `app` until `forget(app)`: if the process is about to exit on its own (`beforeExit`:
 * nothing left to do) while work registered outside any scope has not run, that work would be
 * lost without a word, so it is reported, once, naming it. One listener serves every
 * application of the process, of every copy of this package.
 */
export function watchUntilTerminated(app: Watched): void {
  state.unterminated.add(app);
  if (state.watchingExit) return;
  state.watchingExit = true;
  process.on('beforeExit', reportUnterminated);
}

/** Stops watching `app`: its root scope's work ran. */
export function forget(app: Watched): void {
  state.unterminated.delete(app);
}

function reportUnterminated(): void {
  for (const app of state.unterminated as Set<Watched>) {
    state.unterminated.delete(app);
    const names = app.rootScope.unfinished();
    if (names.length > 0) app.report(PendingAtExitError.forWork(names), { phase: 'exit', scope: 'root' });
  }
}
