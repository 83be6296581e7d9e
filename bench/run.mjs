// Runs every benchmark of docs/benchmarks.md and prints one table. Each benchmark compares a
// subject with a bare baseline measured in the same run, interleaved, and reports the median of
// the per-round ratios against the budget of DESIGN.md.
//
//   node bench/run.mjs                 all benchmarks (about 15 minutes; under-load and overload take 9)
//   node bench/run.mjs http dispatch   only those whose key starts with one of the words
//   BENCH_ROUNDS=3 BENCH_DURATION=2 node bench/run.mjs   shorter, noisier
//   node bench/run.mjs --strict        exit code 1 when a target is missed
//
// Results also go to bench/results/latest.json (ignored by git).
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { isBuilt, root } from './lib/paths.mjs';
import { waitForQuiet } from './lib/quiet.mjs';
import { formatTable } from './lib/table.mjs';

const settings = {
  rounds: Number(process.env.BENCH_ROUNDS ?? 4),
  duration: Number(process.env.BENCH_DURATION ?? 3),
  warmup: Number(process.env.BENCH_WARMUP ?? 2),
  microRounds: Number(process.env.BENCH_MICRO_ROUNDS ?? 20),
  // Benchmarks with their own defaults (latency) follow rounds and duration only when set here.
  explicit: { rounds: 'BENCH_ROUNDS' in process.env, duration: 'BENCH_DURATION' in process.env },
  // 100 connections, 10 pipelined requests each: the server, not autocannon, is the bottleneck.
  load: { connections: 100, pipelining: 10 },
};

const benchmarks = [
  { key: 'http', module: './http-adapter.mjs' },
  { key: 'fastify', module: './fastify-plugin.mjs' },
  { key: 'latency', module: './after-response-latency.mjs' },
  { key: 'dispatch', module: './dispatch.mjs' },
  { key: 'heap', module: './heap.mjs' },
  { key: 'queue', module: './queue.mjs' },
  // After-response work under load: about 7 and 2 minutes; each also runs alone (node bench/under-load.mjs).
  { key: 'under-load', module: './under-load.mjs' },
  { key: 'overload', module: './overload.mjs' },
];

const args = process.argv.slice(2);
const strict = args.includes('--strict');
const only = args.filter((arg) => !arg.startsWith('--'));
const selected = benchmarks.filter(({ key }) => only.length === 0 || only.some((word) => key.startsWith(word)));

for (const name of ['core', 'bus', 'node-http']) {
  if (!isBuilt(name)) {
    console.error(`packages/${name}/dist is missing: run \`node scripts/prepare.mjs\` (or npm run bench) first.`);
    process.exit(1);
  }
}

const log = (line) => console.log(line);
const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`;
log(`Epilogue benchmarks — ${machine}`);
log(
  `rounds ${settings.rounds} × ${settings.duration} s (+${settings.warmup} s warm-up per server), ` +
    `autocannon ${settings.load.connections} connections × ${settings.load.pipelining} pipelined\n`,
);

const started = Date.now();
const rows = [];
const skipped = [];
for (const { key, module } of selected) {
  const bench = await import(module);
  const availability = (await bench.available?.()) ?? true;
  if (availability !== true) {
    skipped.push(`${key}: ${availability}`);
    log(`- ${bench.title}: skipped (${availability})\n`);
    continue;
  }
  log(`- ${bench.title}`);
  const busy = await waitForQuiet(log, Number(process.env.BENCH_WAIT_QUIET ?? 20));
  const t0 = Date.now();
  const benchRows = await bench.run({ ...settings, log });
  for (const row of benchRows) row.busyBefore = busy;
  rows.push(...benchRows);
  log(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

log(formatTable(rows));
if (skipped.length > 0) log(`\nSkipped: ${skipped.join('; ')}`);
const missed = rows.filter((row) => row.pass === false);
log(
  `\n${rows.filter((row) => row.pass === true).length} targets met, ${missed.length} missed` +
    ` — ${((Date.now() - started) / 1000).toFixed(0)} s in all.`,
);

mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(
  join(root, 'bench', 'results', 'latest.json'),
  JSON.stringify({ date: new Date().toISOString(), machine, settings, rows, skipped }, null, 2),
);
if (strict && missed.length > 0) process.exitCode = 1;
