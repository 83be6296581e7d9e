// Synchronous CPU work of a known size, for the under-load benchmark: a fixed number of steps of a
// xorshift generator, calibrated once (by the orchestrator) to take a given number of milliseconds
// on an idle core. It is an amount of work, not a wait: on a busy machine it takes longer, as a
// real PDF rendering or image resize would.

// The calibration travels to every server process (and its worker threads) in the environment.
const ENV = 'BENCH_CPU_STEPS_PER_MS';
let sink = 0;

function steps(n) {
  let x = 0x9e3779b9 ^ sink;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  // Kept, so that the loop cannot be optimized away.
  sink = x;
  return x;
}

/** Steps per millisecond on this machine: the fastest of several timed runs (the least disturbed). */
export function calibrate() {
  if (process.env[ENV] !== undefined) return Number(process.env[ENV]);
  const n = 2_000_000;
  steps(n); // warm up the JIT
  let best = Infinity;
  for (let i = 0; i < 7; i++) {
    const started = performance.now();
    steps(n);
    best = Math.min(best, performance.now() - started);
  }
  const perMs = Math.round(n / best);
  process.env[ENV] = String(perMs);
  return perMs;
}

/** Runs `ms` milliseconds' worth of synchronous work (as calibrated). */
export function burn(ms) {
  const perMs = Number(process.env[ENV]);
  if (!(perMs > 0)) throw new Error(`${ENV} is not set: call calibrate() in the orchestrator before forking servers`);
  return steps(Math.round(ms * perMs));
}
