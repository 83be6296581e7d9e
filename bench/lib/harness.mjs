// Process plumbing for the HTTP benchmarks: servers and the load generator each run in their own
// child process (the machine has 2 cores: one for the server, one for autocannon), talking to this
// orchestrator over IPC.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineCpuSeconds } from './quiet.mjs';

const here = dirname(fileURLToPath(import.meta.url));

class Child {
  #process;
  #next = 0;
  #pending = new Map();

  constructor(child) {
    this.#process = child;
    child.on('message', (message) => {
      const waiter = this.#pending.get(message.id);
      if (waiter === undefined) return;
      this.#pending.delete(message.id);
      if (message.error) waiter.reject(new Error(message.error));
      else waiter.resolve(message);
    });
    child.on('exit', (code) => {
      for (const waiter of this.#pending.values()) waiter.reject(new Error(`child exited with code ${code}`));
      this.#pending.clear();
    });
  }

  request(message) {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#process.send({ ...message, id });
    });
  }

  async kill() {
    if (this.#process.exitCode !== null || this.#process.signalCode !== null) return;
    // Give the child a moment to exit by itself (a CPU profile is written on a clean exit).
    const exited = once(this.#process, 'exit');
    if (this.#process.connected) this.#process.disconnect();
    const timer = setTimeout(() => this.#process.kill('SIGTERM'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * Starts `servers[name]` of the benchmark module at `modulePath` in a child process.
 *
 * @returns {Promise<{ url: string, port: number, cpu(): Promise<object>, stats(): Promise<object>, heap(): Promise<object>, stop(): Promise<void> }>}
 */
export async function startServer(modulePath, name, { execArgv = [] } = {}) {
  const child = fork(join(here, 'server-worker.mjs'), [modulePath, name], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ready] = await Promise.race([
    once(child, 'message'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`server ${name} exited with code ${code} before listening`);
    }),
  ]);
  const ipc = new Child(child);
  return {
    name,
    port: ready.port,
    url: `http://127.0.0.1:${ready.port}/`,
    cpu: async () => (await ipc.request({ type: 'cpu' })).reply,
    stats: async () => (await ipc.request({ type: 'stats' })).reply,
    heap: async () => (await ipc.request({ type: 'heap' })).reply,
    heapNow: async () => (await ipc.request({ type: 'heapNow' })).reply,
    stop: async () => {
      await ipc.request({ type: 'stop' }).catch(() => undefined);
      await ipc.kill();
    },
  };
}

/**
 * Starts the load generator in its own child process: autocannon (`load-worker.mjs`, closed loop)
 * by default, or the open-loop Poisson generator with `startLoadGenerator('poisson-worker.mjs')`.
 */
export function startLoadGenerator(script = 'load-worker.mjs') {
  const child = fork(join(here, script), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ipc = new Child(child);
  return {
    /**
     * Runs autocannon with `options` (url, connections, pipelining, duration or amount...).
     * With `exactLatency`, the summary has `exact` percentiles in fractional milliseconds.
     */
    async run(options, { exactLatency = false } = {}) {
      // A run that does not end (autocannon 8 can stall with `amount` and pipelining) must not
      // hang the whole benchmark: give it its duration and some slack, then give up.
      const timed = options.duration !== undefined && options.amount === undefined;
      const limitMs = timed ? ((options.warmup ?? 0) + options.duration) * 1000 + 15_000 : 120_000;
      let timer;
      const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => {
          void ipc.kill();
          reject(new Error(`autocannon did not finish within ${limitMs / 1000} s (${JSON.stringify(options)})`));
        }, limitMs);
      });
      try {
        const { summary } = await Promise.race([ipc.request({ options, exactLatency }), timeout]);
        return summary;
      } finally {
        clearTimeout(timer);
      }
    },
    stop: () => ipc.kill(),
  };
}

/**
 * Runs one load run against `server` and measures, meanwhile, the server process's CPU time (to
 * show whether the server, and not the load generator, was the bottleneck, and to compare CPU
 * cost per request) and how many cores other processes of the machine took (`othersCores`).
 * Failed requests throw, unless `extra.countErrors` is set: the summary then carries them.
 */
export async function measure(load, server, options, extra) {
  const before = await server.cpu();
  const machineBefore = machineCpuSeconds();
  const summary = await load.run({ ...options, url: server.url }, extra);
  const machineAfter = machineCpuSeconds();
  const after = await server.cpu();
  const cpuMicros = after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system;
  const seconds = (after.at - before.at) / 1e6;
  summary.serverCpu = cpuMicros / (after.at - before.at);
  summary.cpuPerRequest = cpuMicros / summary.requests;
  const others = machineAfter - machineBefore - cpuMicros / 1e6 - summary.loaderCpuSeconds;
  summary.othersCores = Math.max(0, others / seconds);
  if (!extra?.countErrors && (summary.errors > 0 || summary.non2xx > 0)) {
    throw new Error(`${server.name}: ${summary.errors} errors and ${summary.non2xx} non-2xx responses`);
  }
  return summary;
}
