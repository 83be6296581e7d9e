// What @opentelemetry/api costs when no SDK is registered, in instructions rather than seconds:
// runs a scope's end with one callback, or a dispatch to the sync connection, `n` times, under
// valgrind's callgrind (whose instruction counts do not depend on what else the machine is
// doing), with the API installed and with it hidden, at two values of n; the difference between
// the two n is the cost of the extra operations, start-up left out.
//
//   node bench/otel-instructions.mjs            (needs valgrind; a few minutes)
//   node bench/otel-instructions.mjs --child <present|absent> <scope|dispatch> <n>
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hideOtelApi } from './lib/hide-otel-api.mjs';
import { importPackage } from './lib/paths.mjs';

async function child([mode, subject, n]) {
  if (mode === 'absent') hideOtelApi();
  await import('reflect-metadata');
  const { Application } = await importPackage('core');
  const { Job, ShouldQueue } = await importPackage('bus');
  const { configureQueues, SyncDriver } = await importPackage('queue');
  class Noop extends Job {
    async handle() {
      return 1;
    }
  }
  class QueuedNoop extends Job {
    async handle() {
      return 1;
    }
  }
  ShouldQueue()(QueuedNoop);
  const app = new Application({ report: (error) => console.error('[bench] reported', error) });
  configureQueues(app, { default: 'sync', connections: { sync: new SyncDriver() } });
  const callback = () => new Noop().handle();
  for (let i = 0; i < Number(n); i++) {
    if (subject === 'scope') {
      const scope = app.createScope('console');
      scope.terminating(callback, 'Noop');
      await scope.finish(true);
    } else {
      await QueuedNoop.dispatch();
    }
  }
}

function instructions(mode, subject, n) {
  const run = spawnSync(
    'valgrind',
    ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, fileURLToPath(import.meta.url), '--child', mode, subject, String(n)],
    { encoding: 'utf8' },
  );
  // callgrind writes its summary to stderr.
  const collected = /Collected\s*:\s*(\d+)/.exec(run.stderr ?? '')?.[1];
  if (run.status !== 0 || collected === undefined) throw new Error(`valgrind failed (${run.error?.message ?? `exit ${run.status}`}):\n${run.stderr}`);
  return Number(collected);
}

if (process.argv[2] === '--child') {
  await child(process.argv.slice(3));
} else {
  const [low, high] = [1_000, 6_000];
  for (const subject of ['scope', 'dispatch']) {
    const perOp = {};
    for (const mode of ['absent', 'present']) perOp[mode] = (instructions(mode, subject, high) - instructions(mode, subject, low)) / (high - low);
    console.log(
      `${subject === 'scope' ? "a scope's end, 1 callback" : 'a dispatch to the sync connection'}: ` +
        `${Math.round(perOp.present).toLocaleString('en-US')} instructions with the API (no SDK), ` +
        `${Math.round(perOp.absent).toLocaleString('en-US')} without: ${(perOp.present / perOp.absent).toFixed(2)}×`,
    );
  }
}
