// Benchmark 4: the cost of the bus itself, in one process (no HTTP). Operations per second of
// awaiting a trivial job through each path, against awaiting its `handle()` directly:
// `dispatchNow` without pipes, with one pass-through pipe, a `Pipeline` without pipes, and
// @nestjs/cqrs `CommandBus.execute` with an equally trivial handler. The pass-through pipe's own
// cost is also given in nanoseconds per call: within each round, the CPU time per call of
// `dispatchNow + 1 pipe` less that of `dispatchNow` (the median over the rounds).
//
// It also measures what OpenTelemetry costs when no SDK is registered: a scope's end with one
// after-response callback, and a dispatch to a sync queue connection, in a child where
// @opentelemetry/api is installed and in one where it cannot be resolved (as if not installed).
//
// The measurement runs in a fresh child process (`node bench/dispatch.mjs --child`), so the JIT
// state of the orchestrator does not leak into it. Every subject runs in every round, in a
// rotating order; each sample is a tight loop of awaited calls, calibrated to ~50 ms.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { hideOtelApi } from './lib/hide-otel-api.mjs';
import { importPackage } from './lib/paths.mjs';
import { otelSubjects } from './lib/otel-subjects.mjs';
import { machineCpuSeconds } from './lib/quiet.mjs';
import { median, roundOrder } from './lib/stats.mjs';

const SAMPLE_MS = 50;


/** Builds the subjects: name → async function running `n` awaited operations. */
async function subjects() {
  await import('reflect-metadata');
  const { Application, Pipeline } = await importPackage('core');
  const { Dispatcher, Job } = await importPackage('bus');

  class Noop extends Job {
    async handle() {
      return 1;
    }
  }
  const app = new Application({ report: (error) => console.error('[bench] reported', error) });
  const bus = app.make(Dispatcher);
  const piped = new Dispatcher(app).pipeThrough([(job, next) => next(job)]);
  const nest = await nestCommandBus();

  return {
    direct: async (n) => {
      for (let i = 0; i < n; i++) await new Noop().handle();
    },
    dispatchNow: async (n) => {
      for (let i = 0; i < n; i++) await bus.dispatchNow(new Noop());
    },
    'dispatchNow + 1 pipe': async (n) => {
      for (let i = 0; i < n; i++) await piped.dispatchNow(new Noop());
    },
    'new Pipeline, no pipes': async (n) => {
      for (let i = 0; i < n; i++) await new Pipeline(app.container).send(new Noop()).then((job) => job.handle());
    },
    'app.make(Pipeline), no pipes': async (n) => {
      for (let i = 0; i < n; i++) {
        await app
          .make(Pipeline)
          .send(new Noop())
          .through([])
          .then((job) => job.handle());
      }
    },
    'nest CommandBus.execute': async (n) => {
      for (let i = 0; i < n; i++) await nest.bus.execute(new nest.Noop());
    },
  };
}

/** The smallest @nestjs/cqrs setup: an application context (no HTTP) with CqrsModule and one handler. */
async function nestCommandBus() {
  const { Module } = await import('@nestjs/common');
  const { NestFactory } = await import('@nestjs/core');
  const { CommandBus, CommandHandler, CqrsModule } = await import('@nestjs/cqrs');
  class Noop {}
  class NoopHandler {
    async execute() {
      return 1;
    }
  }
  CommandHandler(Noop)(NoopHandler);
  class BenchModule {}
  Module({ imports: [CqrsModule.forRoot()], providers: [NoopHandler] })(BenchModule);
  const context = await NestFactory.createApplicationContext(BenchModule, { logger: false });
  const bus = context.get(CommandBus);
  if ((await bus.execute(new Noop())) !== 1) throw new Error('the Nest command handler did not run');
  return { bus, Noop };
}

// One sample: operations per second of wall time, and nanoseconds of this process's own CPU
// time per operation (which time taken by other processes does not inflate).
async function sample(fn, n) {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await fn(n);
  const ops = (n * 1e9) / Number(process.hrtime.bigint() - start);
  const used = process.cpuUsage(cpu);
  return { ops, cpuNs: ((used.user + used.system) * 1000) / n };
}

/** Runs inside the child: calibrates, warms up, measures, and returns ops/s per subject per round. */
async function measureAll(rounds, build = subjects) {
  const fns = await build();
  const names = Object.keys(fns);
  const sizes = {};
  for (const name of names) {
    let n = 1000;
    for (;;) {
      const start = process.hrtime.bigint();
      await fns[name](n);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (ms >= SAMPLE_MS / 4) {
        sizes[name] = Math.ceil((n * SAMPLE_MS) / ms);
        break;
      }
      n *= 4;
    }
  }
  for (const name of names) await sample(fns[name], sizes[name]);
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  const cpuNs = Object.fromEntries(names.map((name) => [name, []]));
  let repeated = 0;
  for (let round = 0; round < rounds; round++) {
    // A round during which other processes took CPU is measured again (up to 5 times in all).
    for (let attempt = 0; ; attempt++) {
      const machine = machineCpuSeconds();
      const own = process.cpuUsage();
      const started = process.hrtime.bigint();
      const results = {};
      for (const name of roundOrder(names, round)) results[name] = await sample(fns[name], sizes[name]);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const ownCpu = process.cpuUsage(own);
      const others = (machineCpuSeconds() - machine - (ownCpu.user + ownCpu.system) / 1e6) / seconds;
      if (others < 0.25 || repeated >= 5) {
        for (const name of names) {
          samples[name].push(results[name].ops);
          cpuNs[name].push(results[name].cpuNs);
        }
        break;
      }
      repeated++;
    }
  }
  return { samples, cpuNs, repeated };
}

export const title = 'dispatchNow vs a direct await job.handle()';

/** Runs the measurement in a child process and returns table rows. */
async function measureInChild(args) {
  const child = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const [message] = await once(child, 'message');
  await once(child, 'exit');
  if (message.error) throw new Error(message.error);
  return message;
}

// The OpenTelemetry rows: each subject with @opentelemetry/api installed and no SDK registered,
// against the same subject where the API cannot be resolved. The two run in separate children,
// alternately, so they are noisier than the interleaved rows above.
async function otelRows({ log, microRounds }) {
  const rounds = Math.max(3, Math.ceil(microRounds / 4));
  const runs = { absent: [], present: [] };
  for (let i = 0; i < 4; i++) {
    for (const mode of i % 2 === 0 ? ['absent', 'present'] : ['present', 'absent']) {
      runs[mode].push((await measureInChild(['--otel-child', String(rounds), mode])).samples);
    }
  }
  const opsOf = (mode, name) => median(runs[mode].flatMap((samples) => samples[name]));
  const names = Object.keys(runs.absent[0]);
  log(`    OpenTelemetry, no SDK: ${names.map((name) => `${name} ${Math.round(opsOf('present', name)).toLocaleString('en-US')}/s with the API, ${Math.round(opsOf('absent', name)).toLocaleString('en-US')}/s without`).join(' | ')}`);
  return names.map((name) => ({
    group: 'dispatch',
    subject: `${name}, @opentelemetry/api installed, no SDK`,
    baseline: 'the same without @opentelemetry/api',
    metric: 'ops/s',
    value: opsOf('present', name),
    baselineValue: opsOf('absent', name),
    ratio: opsOf('present', name) / opsOf('absent', name),
    target: '≈ 1.00× (noisy)',
    pass: undefined,
    notes: ['separate processes: noisy on a shared machine'],
  }));
}

export async function run({ log, microRounds }) {
  const message = await measureInChild(['--child', String(microRounds)]);
  const samples = message.samples;
  if (message.repeated > 0) log(`    (${message.repeated} round(s) measured again: other processes took CPU)`);
  const ratio = (name, base = 'direct') => median(samples[name].map((ops, i) => ops / samples[base][i]));
  const ops = (name) => median(samples[name]);
  log(`    ${Object.keys(samples).map((name) => `${name} ${Math.round(ops(name)).toLocaleString('en-US')}/s`).join(' | ')}`);
  const row = (subject, target, pass, notes = []) => ({
    group: 'dispatch',
    subject,
    baseline: 'await job.handle()',
    metric: 'ops/s',
    value: ops(subject),
    baselineValue: ops('direct'),
    ratio: ratio(subject),
    ratios: samples[subject].map((value, i) => value / samples.direct[i]),
    target,
    pass,
    notes,
  });
  const nestRatio = ratio('nest CommandBus.execute');
  // What the pipe adds, per round (both subjects were measured in that round, well under a
  // second apart), in CPU time of the measuring process: steadier than wall time on a busy machine.
  const pipeNs = message.cpuNs['dispatchNow + 1 pipe'].map((ns, i) => ns - message.cpuNs.dispatchNow[i]);
  const pipeCost = median(pipeNs);
  return [
    row('dispatchNow', '≥ 0.50×', ratio('dispatchNow') >= 0.5, [
      `${ratio('dispatchNow', 'nest CommandBus.execute').toFixed(2)}× Nest's CommandBus.execute`,
    ]),
    row('nest CommandBus.execute', '(reference)', undefined),
    row('dispatchNow + 1 pipe', '—', undefined),
    {
      group: 'dispatch',
      subject: 'one pass-through pipe: dispatchNow + 1 pipe less dispatchNow',
      baseline: 'dispatchNow, no pipes',
      metric: 'CPU ns per call',
      value: pipeCost,
      baselineValue: median(message.cpuNs.dispatchNow),
      target: '≤ 100 ns',
      pass: pipeCost <= 100,
      notes: [`per round: ${Math.round(Math.min(...pipeNs))}–${Math.round(Math.max(...pipeNs))} ns`],
    },
    row('new Pipeline, no pipes', '"costs nothing"', undefined),
    row('app.make(Pipeline), no pipes', '"costs nothing"', undefined),
    {
      group: 'dispatch',
      subject: 'dispatchNow vs nest CommandBus.execute',
      baseline: 'CommandBus.execute',
      metric: 'ops/s',
      value: ops('dispatchNow'),
      baselineValue: ops('nest CommandBus.execute'),
      ratio: ratio('dispatchNow', 'nest CommandBus.execute'),
      target: '> 1.00×',
      pass: ratio('dispatchNow', 'nest CommandBus.execute') > 1,
      notes: [`Nest itself: ${nestRatio.toFixed(2)}× direct`],
    },
    ...(await otelRows({ log, microRounds })),
  ];
}

if (process.argv[2] === '--child') {
  try {
    process.send(await measureAll(Number(process.argv[3]) || 10));
  } catch (error) {
    process.send({ error: String(error?.stack ?? error) });
  }
  process.disconnect();
}

if (process.argv[2] === '--otel-child') {
  try {
    if (process.argv[4] === 'absent') hideOtelApi();
    process.send(await measureAll(Number(process.argv[3]) || 5, otelSubjects));
  } catch (error) {
    process.send({ error: String(error?.stack ?? error) });
  }
  process.disconnect();
}
