// What @opentelemetry/api costs when no SDK is registered, in instructions rather than seconds:
// runs a scope's end with one callback, or a dispatch to the sync connection, `n` times, under
// valgrind's callgrind (whose instruction counts do not depend on what else the machine is
// doing), with the API installed and with it hidden, at two values of n; the difference between
// the two n is the cost of the extra operations, start-up left out.
//
//   node bench/otel-instructions.mjs            (needs valgrind; a few minutes)
//   node bench/otel-instructions.mjs --child <present|absent> <subject> <n>
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { hideOtelApi } from './lib/hide-otel-api.mjs';
import { otelSubjects } from './lib/otel-subjects.mjs';

async function child([mode, subject, n]) {
  if (mode === 'absent') hideOtelApi();
  const subjects = await otelSubjects();
  await subjects[subject](Number(n));
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
  for (const subject of ['scope end, 1 callback', 'dispatch to a sync connection']) {
    const perOp = {};
    for (const mode of ['absent', 'present']) perOp[mode] = (instructions(mode, subject, high) - instructions(mode, subject, low)) / (high - low);
    console.log(
      `${subject}: ` +
        `${Math.round(perOp.present).toLocaleString('en-US')} instructions with the API (no SDK), ` +
        `${Math.round(perOp.absent).toLocaleString('en-US')} without: ${(perOp.present / perOp.absent).toFixed(2)}×`,
    );
  }
}
