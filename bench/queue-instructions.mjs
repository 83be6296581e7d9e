// The queue benchmark's two sides (bench/lib/queue-sides.mjs) in instructions rather than
// seconds: a process under valgrind's callgrind (whose counts do not depend on what else the
// machine is doing) drains n queued no-op jobs with concurrency 50, or enqueues n jobs, at two
// values of n; the difference between the two counts, divided by the difference in jobs, is what
// one job costs the worker (or the producer), start-up and shutdown left out. Redis runs in its
// own process and is not counted.
//
//   node bench/queue-instructions.mjs            (needs valgrind and Redis; a few minutes)
//   BENCH_QUEUE_N=500,1500 node bench/queue-instructions.mjs
//   BENCH_QUEUE_SIDES=driver node bench/queue-instructions.mjs   one side only (with BENCH_PACKAGES,
//                                                                 to compare two builds)
//   node bench/queue-instructions.mjs --child <bare|driver> <enqueue|drain> <n> <prefix>
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { deleteKeys } from './lib/queue-harness.mjs';
import { bareSide, driverSide, REDIS } from './lib/queue-sides.mjs';

const here = fileURLToPath(import.meta.url);

async function child([name, phase, n, prefix]) {
  // Under valgrind connecting takes longer than the driver's default push timeout (5 s).
  const side = await (name === 'bare' ? bareSide : driverSide)({ prefix, driverOptions: { pushTimeoutMs: 600_000 } });
  if (phase === 'enqueue') await side.enqueue(Number(n));
  else await side.drain(Number(n));
  await side.close();
}

function run(args, valgrind) {
  const command = valgrind ? 'valgrind' : process.execPath;
  const argv = [here, '--child', ...args];
  const result = spawnSync(
    command,
    valgrind ? ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, ...argv] : argv,
    { encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`${command} failed (${result.error?.message ?? `exit ${result.status}`}):\n${result.stderr}`);
  if (!valgrind) return undefined;
  // callgrind writes its summary to stderr.
  const collected = /Collected\s*:\s*(\d+)/.exec(result.stderr)?.[1];
  if (collected === undefined) throw new Error(`no instruction count from valgrind:\n${result.stderr}`);
  return Number(collected);
}

async function main() {
  const [low, high] = (process.env.BENCH_QUEUE_N ?? '500,1500').split(',').map(Number);
  const redis = new Redis({ ...REDIS, maxRetriesPerRequest: 1 });
  const root = `epilogue-bench:${process.pid}:${randomUUID().slice(0, 8)}`;
  try {
    for (const name of (process.env.BENCH_QUEUE_SIDES ?? 'bare,driver').split(',')) {
      const counts = { enqueue: {}, drain: {} };
      for (const n of [low, high]) {
        const prefix = `${root}:${name}:${n}`;
        // Enqueued under valgrind (counted), then drained under valgrind from what that left.
        counts.enqueue[n] = run([name, 'enqueue', String(n), prefix], true);
        counts.drain[n] = run([name, 'drain', String(n), prefix], true);
        await deleteKeys(redis, `${prefix}:`);
      }
      const per = (phase) => Math.round((counts[phase][high] - counts[phase][low]) / (high - low));
      console.log(`${name}: ${per('drain').toLocaleString('en-US')} instructions per job processed, ${per('enqueue').toLocaleString('en-US')} per job enqueued`);
    }
  } finally {
    await deleteKeys(redis, `${root}:`);
    redis.disconnect();
  }
}

if (process.argv[2] === '--child') await child(process.argv.slice(3));
else await main();
