// Runs one benchmark module on its own (`node bench/under-load.mjs`), with bench/run.mjs's
// settings from the environment, prints its table and writes bench/results/<name>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { root } from './paths.mjs';
import { waitForQuiet } from './quiet.mjs';
import { formatTable } from './table.mjs';

/**
 * @param {{ name: string, title: string, run(settings: object): Promise<object[]>, available?(): Promise<true | string> }} bench
 */
export async function standalone(bench) {
  const log = (line) => console.log(line);
  const settings = {
    rounds: Number(process.env.BENCH_ROUNDS ?? 4),
    duration: Number(process.env.BENCH_DURATION ?? 3),
    warmup: Number(process.env.BENCH_WARMUP ?? 2),
    explicit: { rounds: 'BENCH_ROUNDS' in process.env, duration: 'BENCH_DURATION' in process.env },
    log,
  };
  const machine = `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`;
  log(`${bench.title} — ${machine}`);
  const availability = (await bench.available?.()) ?? true;
  if (availability !== true) {
    log(`skipped: ${availability}`);
    process.exitCode = 1;
    return;
  }
  const busy = await waitForQuiet(log, Number(process.env.BENCH_WAIT_QUIET ?? 20));
  const started = Date.now();
  const rows = await bench.run(settings);
  for (const row of rows) row.busyBefore = busy;
  log(`\n${formatTable(rows)}`);
  log(`\n${((Date.now() - started) / 1000).toFixed(0)} s in all.`);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(
    join(root, 'bench', 'results', `${bench.name}.json`),
    JSON.stringify({ date: new Date().toISOString(), machine, settings: { ...settings, log: undefined }, rows }, null, 2),
  );
}
