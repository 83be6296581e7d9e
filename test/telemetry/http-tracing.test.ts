// Traces of after-response work through the real OpenTelemetry SDK, registered globally before
// the application loads (as NodeSDK is), with @opentelemetry/instrumentation-http's server span
// as the parent, over a real socket. The server runs in a process of its own: instrumentation-http
// patches node:http through Node's module loader, which Jest's sandbox bypasses.
import { join } from 'node:path';
import { exitCode } from '@epilogue-internal/test-support/processes';
import { type ExportedSpan, spansOf, startTraced } from '@epilogue-internal/test-support/telemetry';

const SERVER = 1;
const STATUS_ERROR = 2;
let spans: ExportedSpan[];

beforeAll(async () => {
  const started = startTraced('otel-http', join(__dirname, 'fixtures/http-server.mjs'), { OTEL_TEST_HTTP: '1' });
  expect(await exitCode(started)).toBe(0);
  spans = spansOf(started.output());
}, 30_000);

const named = (name: string) => spans.find((span) => span.name === name);
const serverSpanOf = (span: ExportedSpan) =>
  spans.find((other) => other.kind === SERVER && other.traceId === span.traceId);

it("an after-response job's span is a child of instrumentation-http's server span, started after the response", () => {
  const job = named('after-response SendReceipt')!;
  expect(job).toBeDefined();
  const http = serverSpanOf(job)!;
  expect(http).toBeDefined();
  expect(http.attributes['http.route'] ?? http.attributes['url.path'] ?? http.attributes['http.target']).toBe('/order');
  expect(job.parentSpanId).toBe(http.spanId);
  expect(job.attributes).toMatchObject({
    'epilogue.job.name': 'SendReceipt',
    'epilogue.scope.kind': 'http',
    'epilogue.step.phase': 'terminating',
  });
  // It started once the response had been sent, not inside the request's handling.
  expect(job.startMs).toBeGreaterThanOrEqual(http.endMs - 1);
});

it('a failed after-response job is recorded on its span: the exception and status ERROR', () => {
  const job = named('after-response FailingAudit')!;
  expect(job.status).toEqual({ code: STATUS_ERROR, message: 'audit store is down' });
  expect(job.events).toContain('exception');
  expect(job.attributes['epilogue.job.name']).toBe('FailingAudit');
  expect(job.parentSpanId).toBe(serverSpanOf(job)!.spanId);
});

it("a deferred callback gets a span in its request's trace too", () => {
  const deferred = spans.find((span) => span.name.startsWith('deferred '))!;
  expect(deferred.attributes['epilogue.step.phase']).toBe('deferred');
  expect(deferred.parentSpanId).toBe(serverSpanOf(deferred)!.spanId);
});
