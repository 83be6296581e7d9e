// Benchmark 6: the BullMQ queue driver against bare BullMQ 6 on the same Redis.
//
// - Throughput: 10,000 no-op jobs already queued, processed by a fresh worker with concurrency
//   50 until all are done (Epilogue: `new Worker(app, { stopWhenEmpty: true }).run()`; bare: a
//   BullMQ `Worker` until its 10,000th 'completed', then `close()`). Jobs per second.
// - Enqueue: the same 10,000 jobs added first, at most 100 calls pending at a time
//   (`Job.dispatch()` against `queue.add()`). Reported, no target.
// - Latency: with a worker already running, a producer in another process sends jobs at a
//   steady rate, each stamped with its send time; the job records when its handler starts.
//
// Each side runs in its own process (bench/lib/queue-child.mjs), with its own key prefix under
// one prefix unique to this run, whose keys are deleted at the end. Rounds alternate the sides
// (bare, driver, driver, bare...) and ratios are taken within a round.
//
//   node bench/run.mjs queue                 this benchmark alone (about a minute)
//   BENCH_QUEUE_JOBS=2000 node bench/run.mjs queue   fewer jobs per throughput sample
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { isBuilt } from './lib/paths.mjs';
import { deleteKeys, redisUsage, startSide } from './lib/queue-harness.mjs';
import { CONCURRENCY, IN_FLIGHT, REDIS } from './lib/queue-sides.mjs';
import { machineCpuSeconds } from './lib/quiet.mjs';
import { median, percentile, roundOrder } from './lib/stats.mjs';

const SIDES = ['bare', 'driver'];
const JOBS = Number(process.env.BENCH_QUEUE_JOBS ?? 10_000);
const WARMUP_JOBS = 2_000;
const LATENCY = { rate: 1_000, seconds: 3, rounds: 3 };
// As in the HTTP benchmarks: a sample during which other processes took more than this many
// cores is measured again (at most MAX_RETRIES times).
const DISTURBED_CORES = 0.25;
const MAX_RETRIES = 2;

export const title = `BullMQDriver vs bare BullMQ, ${JOBS.toLocaleString('en-US')} no-op jobs, concurrency ${CONCURRENCY}`;

/** Whether the queue packages are built and Redis answers on 127.0.0.1:6379. */
export async function available() {
  for (const name of ['core', 'bus', 'queue', 'bullmq']) {
    if (!isBuilt(name)) return `packages/${name}/dist is missing (run node scripts/prepare.mjs)`;
  }
  const redis = new Redis({ ...REDIS, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
    return true;
  } catch (error) {
    return `no Redis on ${REDIS.host}:${REDIS.port} (${error.message})`;
  } finally {
    redis.disconnect();
  }
}

/** Runs the three comparisons and returns table rows. */
export async function run({ rounds, duration, explicit = {}, log }) {
  const prefix = `epilogue-bench:${process.pid}:${randomUUID().slice(0, 8)}`;
  const redis = new Redis({ ...REDIS, maxRetriesPerRequest: 1 });
  const workers = {};
  const producers = {};
  try {
    for (const name of SIDES) workers[name] = await startSide(name, `${prefix}:${name}`);
    const throughput = await measureThroughput({ workers, redis, rounds, log });
    for (const name of SIDES) producers[name] = await startSide(name, `${prefix}:${name}`);
    const latency = await measureLatency({
      workers,
      producers,
      redis,
      rounds: explicit.rounds ? rounds : LATENCY.rounds,
      seconds: explicit.duration ? duration : LATENCY.seconds,
      log,
    });
    return [...throughputRows(throughput), ...latencyRows(latency)];
  } finally {
    for (const child of [...Object.values(producers), ...Object.values(workers)]) await child.stop();
    const deleted = await deleteKeys(redis, `${prefix}:`);
    log(`    deleted the ${deleted} Redis keys under ${prefix}:`);
    redis.disconnect();
  }
}

// --- throughput and enqueue -------------------------------------------------------------------

async function measureThroughput({ workers, redis, rounds, log }) {
  for (const name of SIDES) {
    await workers[name].request({ type: 'enqueue', n: WARMUP_JOBS });
    await workers[name].request({ type: 'drain', n: WARMUP_JOBS });
  }
  const samples = { bare: [], driver: [] };
  let repeated = 0;
  for (let round = 0; round < rounds; round++) {
    const line = [];
    for (const name of roundOrder(SIDES, round)) {
      let sample = await throughputSample(workers[name], redis);
      for (let retry = 0; retry < MAX_RETRIES && sample.othersCores > DISTURBED_CORES; retry++) {
        log(`      (${name}: other processes took ${sample.othersCores.toFixed(2)} cores; measuring again)`);
        repeated++;
        sample = await throughputSample(workers[name], redis);
      }
      samples[name].push(sample);
      line.push(
        `${name} ${Math.round(sample.jobsPerSecond)} jobs/s (enqueue ${Math.round(sample.enqueuePerSecond)}/s), ` +
          `${sample.cpuPerJob.toFixed(0)} µs cpu/job, redis ${sample.redisPerJob.toFixed(0)} µs/job, ` +
          `${sample.scriptsPerJob.toFixed(2)} scripts/job`,
      );
    }
    log(`    round ${round + 1}/${rounds}: ${line.join(' | ')}`);
  }
  return { samples, repeated };
}

/** Enqueues JOBS jobs, then drains them, measuring both and what the drain cost Redis and the machine. */
async function throughputSample(worker, redis) {
  const enqueued = await worker.request({ type: 'enqueue', n: JOBS });
  const waiting = (await worker.request({ type: 'size' })).reply;
  if (waiting !== JOBS) throw new Error(`${worker.name}: ${waiting} jobs queued after enqueueing ${JOBS}`);

  const redisBefore = await redisUsage(redis);
  const machineBefore = machineCpuSeconds();
  const drained = await worker.request({ type: 'drain', n: JOBS });
  const machineAfter = machineCpuSeconds();
  const redisAfter = await redisUsage(redis);

  const left = (await worker.request({ type: 'size' })).reply;
  if (left !== 0 || drained.reply.handled !== JOBS) {
    throw new Error(`${worker.name}: ${drained.reply.handled} jobs handled, ${left} left in the queue`);
  }
  const seconds = drained.ms / 1000;
  const redisCpu = redisAfter.cpu - redisBefore.cpu;
  const others = machineAfter - machineBefore - drained.cpuMicros / 1e6 - redisCpu;
  return {
    jobsPerSecond: JOBS / seconds,
    enqueuePerSecond: JOBS / (enqueued.ms / 1000),
    cpuPerJob: drained.cpuMicros / JOBS,
    enqueueCpuPerJob: enqueued.cpuMicros / JOBS,
    redisPerJob: (redisCpu * 1e6) / JOBS,
    scriptsPerJob: (redisAfter.scripts - redisBefore.scripts) / JOBS,
    othersCores: Math.max(0, others / seconds),
  };
}

function throughputRows({ samples, repeated }) {
  const { bare, driver } = samples;
  const value = (list, key) => median(list.map((s) => s[key]));
  const ratios = (key) => driver.map((s, i) => s[key] / bare[i][key]);
  const notes = [];
  if (repeated > 0) notes.push(`${repeated} sample(s) measured again (other processes took CPU)`);
  const ratio = median(ratios('jobsPerSecond'));
  return [
    {
      group: 'queue',
      subject: `BullMQDriver + Worker, ${JOBS.toLocaleString('en-US')} queued no-op jobs, concurrency ${CONCURRENCY}`,
      baseline: 'bare BullMQ Worker',
      metric: 'jobs/s',
      value: value(driver, 'jobsPerSecond'),
      baselineValue: value(bare, 'jobsPerSecond'),
      ratio,
      ratios: ratios('jobsPerSecond'),
      target: '≥ 0.90×',
      pass: ratio >= 0.9,
      notes: [
        `worker CPU ${value(driver, 'cpuPerJob').toFixed(1)} vs ${value(bare, 'cpuPerJob').toFixed(1)} µs/job`,
        `Redis CPU ${value(driver, 'redisPerJob').toFixed(1)} vs ${value(bare, 'redisPerJob').toFixed(1)} µs/job`,
        `Redis scripts ${value(driver, 'scriptsPerJob').toFixed(2)} vs ${value(bare, 'scriptsPerJob').toFixed(2)} per job`,
        ...notes,
      ],
    },
    {
      group: 'queue',
      subject: `Job.dispatch(), ${JOBS.toLocaleString('en-US')} jobs, ${IN_FLIGHT} pending at a time`,
      baseline: 'bare queue.add()',
      metric: 'jobs/s',
      value: value(driver, 'enqueuePerSecond'),
      baselineValue: value(bare, 'enqueuePerSecond'),
      ratio: median(ratios('enqueuePerSecond')),
      ratios: ratios('enqueuePerSecond'),
      target: '—',
      notes: [
        `producer CPU ${value(driver, 'enqueueCpuPerJob').toFixed(1)} vs ${value(bare, 'enqueueCpuPerJob').toFixed(1)} µs/job`,
      ],
    },
  ];
}

// --- dispatch-to-handle latency ---------------------------------------------------------------

async function measureLatency({ workers, producers, redis, rounds, seconds, log }) {
  const { rate } = LATENCY;
  log(`  latency: ${rate.toLocaleString('en-US')} jobs/s for ${seconds} s per round, worker running`);
  for (const name of SIDES) await workers[name].request({ type: 'listen' });
  for (const name of SIDES) await latencySample(workers[name], producers[name], redis, rate, 1);
  const samples = { bare: [], driver: [] };
  let repeated = 0;
  for (let round = 0; round < rounds; round++) {
    const line = [];
    for (const name of roundOrder(SIDES, round)) {
      let sample = await latencySample(workers[name], producers[name], redis, rate, seconds);
      for (let retry = 0; retry < MAX_RETRIES && sample.othersCores > DISTURBED_CORES; retry++) {
        log(`      (${name}: other processes took ${sample.othersCores.toFixed(2)} cores; measuring again)`);
        repeated++;
        sample = await latencySample(workers[name], producers[name], redis, rate, seconds);
      }
      samples[name].push(sample);
      line.push(`${name} p50 ${sample.p50.toFixed(2)} ms, p99 ${sample.p99.toFixed(2)} ms`);
    }
    log(`    round ${round + 1}/${rounds}: ${line.join(' | ')}`);
  }
  return { samples, repeated, rate, seconds };
}

/** Sends `rate` jobs/s for `seconds` and collects the latency of every one of them. */
async function latencySample(worker, producer, redis, rate, seconds) {
  const cpuBefore = (await worker.request({ type: 'cpu' })).reply;
  const redisBefore = await redisUsage(redis);
  const machineBefore = machineCpuSeconds();
  const started = performance.now();
  const produced = await producer.request({ type: 'produce', rate, seconds });
  const latencies = [];
  const deadline = Date.now() + 10_000;
  while (latencies.length < produced.reply.sent) {
    if (Date.now() > deadline) {
      throw new Error(`${worker.name}: ${latencies.length} of ${produced.reply.sent} jobs handled after 10 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
    latencies.push(...(await worker.request({ type: 'heard' })).reply);
  }
  const elapsed = (performance.now() - started) / 1000;
  const machine = machineCpuSeconds() - machineBefore;
  const redisCpu = (await redisUsage(redis)).cpu - redisBefore.cpu;
  const workerCpu = ((await worker.request({ type: 'cpu' })).reply - cpuBefore) / 1e6;
  const others = machine - workerCpu - produced.cpuMicros / 1e6 - redisCpu;
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: percentile(latencies, 100),
    count: latencies.length,
    othersCores: Math.max(0, others / elapsed),
  };
}

function latencyRows({ samples, repeated, rate, seconds }) {
  const { bare, driver } = samples;
  const rows = [];
  for (const key of ['p50', 'p99']) {
    const ratios = driver.map((s, i) => s[key] / bare[i][key]);
    rows.push({
      group: 'queue',
      subject: `dispatch to handle() start, ${key}, ${rate.toLocaleString('en-US')} jobs/s × ${seconds} s, worker running`,
      baseline: 'bare queue.add() to processor',
      metric: `${key} ms`,
      value: median(driver.map((s) => s[key])),
      baselineValue: median(bare.map((s) => s[key])),
      ratio: median(ratios),
      ratios,
      target: '—',
      notes: [
        `max ${median(driver.map((s) => s.max)).toFixed(2)} vs ${median(bare.map((s) => s.max)).toFixed(2)} ms`,
        ...(repeated > 0 ? [`${repeated} sample(s) measured again (other processes took CPU)`] : []),
      ],
    });
  }
  return rows;
}
