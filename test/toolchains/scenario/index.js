// The scenario every toolchain fixture runs, against the packed tarballs installed next to it:
// an HTTP request whose after-response job sends a mail once the response is out, then a queued
// job that a worker takes from the queue and runs. A fixture defines the two job classes in its
// own syntax (decorators legacy or standard, or none) and hands them over; this file is plain
// JavaScript, and CommonJS, so that every toolchain loads it as it is, from an ES module or a
// CommonJS one.
const { Dispatcher } = require('@epilogue/bus');
const { Application } = require('@epilogue/core');
const { serve } = require('@epilogue/node-http');
const { configureQueues, MemoryDriver, Worker } = require('@epilogue/queue');

/** Where the jobs send their mail: one per application, so the scenario can read what was sent. */
class Mailer {
  sent = [];

  /**
   * @param {string} to - The address.
   * @param {string} subject - The subject.
   */
  async send(to, subject) {
    this.sent.push({ to, subject, at: performance.now() });
  }
}

/** The line a fixture's run prints when the scenario passed; the runner looks for it. */
const PASSED = 'EPILOGUE_SCENARIO_PASSED';

/**
 * Runs the scenario and throws with what went wrong.
 *
 * @param {object} options
 * @param {string} options.name - The fixture, for the report.
 * @param {Function} options.SendWelcomeEmail - A job whose handle(mailer) sends 'Welcome' to `this.user.email`.
 * @param {Function} options.SendInvoice - A ShouldQueue job whose handle(mailer) sends `invoice <id>` to billing.
 * @param {Function} [options.AutowireWithoutTokens] - A job with a bare `@autowire()` on handle(mailer).
 * @param {string} [options.autowireWithoutTokens] - What it must do: 'resolves', or the error code.
 * @param {(app: Application) => object} [options.driver] - The queue driver (default: a MemoryDriver).
 * @returns {Promise<object>} What was measured.
 */
async function runScenario(options) {
  const { name, SendWelcomeEmail, SendInvoice } = options;
  const app = new Application({ report: (error) => console.error(`[${name}] reported:`, error) });
  app.container.registerSingleton(Mailer);
  const mailer = app.make(Mailer);
  const driver = options.driver?.(app) ?? new MemoryDriver();
  configureQueues(app, { default: 'queue', connections: { queue: driver } });

  let responded;
  const server = await serve(
    app,
    (request, response) => {
      SendWelcomeEmail.dispatchAfterResponse({ email: 'ada@example.test' });
      response.on('finish', () => (responded = performance.now()));
      response.end('registered');
    },
    { signals: [] },
  );
  const { port } = server.address();
  const body = await (await fetch(`http://127.0.0.1:${port}/register`, { method: 'POST' })).text();
  check(body === 'registered', `the response was ${JSON.stringify(body)}`);
  const welcome = await until(() => mailer.sent.find((mail) => mail.subject === 'Welcome'), 'the after-response job sent no mail');
  check(welcome.to === 'ada@example.test', `the welcome mail went to ${welcome.to}`);
  check(responded !== undefined && welcome.at >= responded, 'the after-response job ran before the response was finished');

  await SendInvoice.dispatch(42);
  check(!mailer.sent.some((mail) => mail.subject === 'invoice 42'), 'the queued job ran at dispatch, not on a worker');
  const summary = await new Worker(app, { connection: 'queue', stopWhenEmpty: true }).run();
  const invoice = mailer.sent.find((mail) => mail.subject === 'invoice 42');
  check(invoice?.to === 'billing@example.test', `the worker ran ${summary.jobs} job(s) and sent ${JSON.stringify(mailer.sent)}`);

  let autowire = 'not checked';
  if (options.AutowireWithoutTokens) {
    autowire = await app.make(Dispatcher).dispatchNow(new options.AutowireWithoutTokens()).then(
      () => 'resolves',
      (error) => error.code ?? String(error),
    );
    check(autowire === options.autowireWithoutTokens, `@autowire() without tokens gave ${autowire}, expected ${options.autowireWithoutTokens}`);
  }

  await app.shutdown();
  await driver.close();
  const result = { name, afterResponseMs: +(welcome.at - responded).toFixed(2), workerJobs: summary.jobs, autowire };
  console.log(`${PASSED} ${JSON.stringify(result)}`);
  return result;
}

function check(condition, problem) {
  if (!condition) throw new Error(`scenario failed: ${problem}`);
}

async function until(find, problem, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`scenario failed: ${problem} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

module.exports = { Mailer, PASSED, runScenario };
