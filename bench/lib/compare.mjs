// Interleaved comparisons: a baseline server and its subjects run side by side (each in its own
// process), and every round loads each of them once, in a rotating order, with the same autocannon
// settings. Ratios are taken within a round (subject and baseline measured seconds apart), and
// the median over the rounds is reported.
import { measure, startLoadGenerator, startServer } from './harness.mjs';
import { median, roundOrder } from './stats.mjs';

// A load run during which other processes took more than this many cores is measured again
// (at most MAX_RETRIES times): on 2 cores, a busy neighbour takes what the server or autocannon needs.
const DISTURBED_CORES = 0.25;
const MAX_RETRIES = 2;

/**
 * Runs `rounds` interleaved rounds over the servers `names` of the module at `modulePath`.
 *
 * @param {object} spec
 * @param {object | ((round: number) => object)} spec.load - The load options, or a function
 *   giving those of each round (to vary the seed or the rate from round to round).
 * @param {string} [spec.generator] - The load generator's script in bench/lib (autocannon's by default).
 * @param {object} [spec.extra] - Passed to `measure()` and the generator (`exactLatency`, `countErrors`).
 * @param {number} [spec.maxRetries] - How often a disturbed sample is measured again.
 * @returns {Promise<{ samples: Record<string, object[]>, stats: Record<string, object> }>} Every
 *   load summary per server (in round order), and each server's final stats (jobs run...).
 */
export async function interleave({
  modulePath,
  names,
  load,
  rounds,
  warmupSeconds,
  exactLatency = false,
  generator,
  extra = { exactLatency },
  maxRetries = MAX_RETRIES,
  log,
  describe,
}) {
  const servers = {};
  const loadOf = typeof load === 'function' ? load : () => load;
  const loader = startLoadGenerator(generator);
  try {
    for (const name of names) servers[name] = await startServer(modulePath, name);
    const served = Object.fromEntries(names.map((name) => [name, 0]));
    for (const name of names) {
      const warm = await loader.run({ ...loadOf(-1), duration: warmupSeconds, url: servers[name].url });
      served[name] += warm.responses ?? warm.requests;
    }
    const samples = Object.fromEntries(names.map((name) => [name, []]));
    let disturbed = 0;
    for (let round = 0; round < rounds; round++) {
      const line = [];
      const roundLoad = loadOf(round);
      for (const name of roundOrder(names, round)) {
        let summary = await measure(loader, servers[name], roundLoad, extra);
        served[name] += summary.responses ?? summary.requests;
        // Another process took CPU meanwhile: the sample says more about it than about us.
        for (let retry = 0; retry < maxRetries && summary.othersCores > DISTURBED_CORES; retry++) {
          log(`      (${name}: other processes took ${summary.othersCores.toFixed(2)} cores; measuring again)`);
          disturbed++;
          summary = await measure(loader, servers[name], roundLoad, extra);
          served[name] += summary.responses ?? summary.requests;
        }
        samples[name].push(summary);
        line.push(`${name} ${describe(summary)}`);
      }
      log(`    round ${round + 1}/${rounds}: ${line.join(' | ')}`);
    }
    // Let after-response work of the last run finish before counting it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stats = {};
    for (const name of names) stats[name] = { ...(await servers[name].stats()), served: served[name] };
    return { samples, stats, disturbed };
  } finally {
    await loader.stop();
    for (const server of Object.values(servers)) await server.stop();
  }
}

/**
 * Requests per second of `subjects` against `baseline`.
 *
 * @returns {Promise<Record<string, { rps: number, rpsRounds: number[], ratio?: number, ratios?: number[],
 *   cpuPerRequest: number, costRatio?: number, jobs: number|null, requests: number }>>}
 */
export async function compareThroughput({ modulePath, baseline, subjects, load, rounds, warmupSeconds, log }) {
  const names = [baseline, ...subjects];
  const { samples, stats } = await interleave({
    modulePath,
    names,
    load,
    rounds,
    warmupSeconds,
    log,
    describe: (s) => `${Math.round(s.rps)} req/s, ${s.cpuPerRequest.toFixed(1)} µs cpu/req`,
  });
  const results = {};
  for (const name of names) {
    const mine = samples[name];
    const base = samples[baseline];
    results[name] = {
      rps: median(mine.map((s) => s.rps)),
      rpsRounds: mine.map((s) => s.rps),
      cpuPerRequest: median(mine.map((s) => s.cpuPerRequest)),
      requests: mine.reduce((sum, s) => sum + s.requests, 0),
      jobs: stats[name].jobs,
      served: stats[name].served,
      activeScopes: stats[name].activeScopes,
      othersMax: Math.max(...Object.values(samples).flat().map((s) => s.othersCores)),
    };
    if (name !== baseline) {
      results[name].ratios = mine.map((s, i) => s.rps / base[i].rps);
      results[name].ratio = median(results[name].ratios);
      results[name].costRatio = median(mine.map((s, i) => base[i].cpuPerRequest / s.cpuPerRequest));
    }
  }
  return results;
}

/**
 * Exact latency percentiles of each subject against its baseline, all servers interleaved under
 * the same load.
 *
 * @param {object} spec
 * @param {[string, string][]} spec.pairs - [baseline, subject] server names.
 * @param {object} [spec.options] - Anything else is passed to `interleave()` (generator, extra, maxRetries).
 * @returns {Promise<Record<string, { p50: number, p99: number, max: number, rps: number, ratio?: number,
 *   ratios?: number[], samples: object[] }>>} Medians over the rounds (max: the largest of any round),
 *   and every round's summary.
 */
export async function compareLatency({ modulePath, pairs, load, rounds, warmupSeconds, log, ...options }) {
  const names = [...new Set(pairs.flat())];
  const { samples, stats } = await interleave({
    modulePath,
    names,
    load,
    rounds,
    warmupSeconds,
    exactLatency: true,
    ...options,
    log,
    describe: (s) => `p99 ${s.exact.p99.toFixed(2)} ms`,
  });
  const results = {};
  for (const name of names) {
    const mine = samples[name];
    results[name] = {
      p50: median(mine.map((s) => s.exact.p50)),
      p99: median(mine.map((s) => s.exact.p99)),
      max: Math.max(...mine.map((s) => s.exact.max)),
      rps: median(mine.map((s) => s.rps)),
      samples: mine,
      jobs: stats[name].jobs,
      served: stats[name].served,
      activeScopes: stats[name].activeScopes,
      othersMax: Math.max(...Object.values(samples).flat().map((s) => s.othersCores)),
    };
  }
  for (const [baseline, subject] of pairs) {
    const ratios = samples[subject].map((s, i) => s.exact.p99 / samples[baseline][i].exact.p99);
    results[subject].ratios = ratios;
    results[subject].ratio = median(ratios);
  }
  return results;
}
