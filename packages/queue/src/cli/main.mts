#!/usr/bin/env node
// The `epilogue` bin: runCli() with this process's arguments, streams, signals and exit.
import type { CliSignal } from './cli-io.js';
import { runCli } from './run-cli.js';

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  onSignal: (listener) => {
    const handle = (signal: NodeJS.Signals) => listener(signal as CliSignal);
    process.on('SIGTERM', handle).on('SIGINT', handle);
    return () => void process.off('SIGTERM', handle).off('SIGINT', handle);
  },
  exit: (code) => process.exit(code),
});
