// Helpers of the OpenTelemetry tests: processes started with the SDK registered by
// test/telemetry/fixtures/telemetry-sdk.cjs (as an application's `--require ./tracing.js`
// would), and the spans they wrote to stdout as JSON lines.
import { join } from 'node:path';
import { startProcess, type ProcessOptions, type Started } from './processes.js';

/** A span as the fixture process wrote it. */
export interface ExportedSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  attributes: Record<string, unknown>;
  status: { code: number; message?: string };
  events: string[];
  startMs: number;
  endMs: number;
}

const sdk = join(__dirname, '..', 'telemetry', 'fixtures', 'telemetry-sdk.cjs');

/** Process options that register the test SDK first (`node --require telemetry-sdk.cjs`). */
export function withSdk(env: Record<string, string> = {}): ProcessOptions {
  return { nodeArgs: ['--require', sdk], env };
}

/** Starts `script` in a process with the test SDK registered. */
export function startTraced(prefix: string, script: string, env: Record<string, string> = {}, args: readonly string[] = []): Started {
  return startProcess(prefix, script, args, withSdk(env));
}

/** The spans a process wrote so far. */
export function spansOf(output: string): ExportedSpan[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('OTEL_SPAN '))
    .map((line) => JSON.parse(line.slice('OTEL_SPAN '.length)) as ExportedSpan);
}
