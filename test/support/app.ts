// Helpers shared by the adapter tests: an application that records its reports, and a wait for
// every scope to end.
import { Application, type ErrorContext } from '@epilogue/core';
import { tick } from './waits.js';

/** An application whose reporter keeps every report. */
export function recordingApp() {
  const reports: { error: unknown; context: ErrorContext }[] = [];
  const app = new Application({ report: (error, context) => reports.push({ error, context }) });
  return { app, reports };
}

/** Waits (up to a second) until no scope of `app` is in flight, and asserts it. */
export async function idle(app: Application): Promise<void> {
  for (let i = 0; i < 200 && app.activeScopes > 0; i++) await tick(5);
  expect(app.activeScopes).toBe(0);
}
