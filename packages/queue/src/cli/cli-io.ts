/** Somewhere the CLI writes text: `process.stdout`, or a test's buffer. */
export interface CliStream {
  write(text: string): unknown;
}

/** A signal that stops `queue:work`: the first gracefully, the second at once. */
export type CliSignal = 'SIGINT' | 'SIGTERM';

/**
 * What `runCli()` may touch outside itself. The bin passes the process's streams, signals and
 * `process.exit`; a test passes buffers and triggers the signals itself.
 */
export interface CliIo {
  /** Where results go: text for people, or one JSON object per line with `--json`. */
  readonly stdout: CliStream;
  /** Where errors go. */
  readonly stderr: CliStream;
  /**
   * The directory `--app` and `EPILOGUE_APP` are resolved against, and where the search for a
   * `package.json` with an `"epilogue": { "app": ... }` field starts. Default: `process.cwd()`.
   */
  readonly cwd?: string;
  /** The environment `EPILOGUE_APP` is read from. Default: `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Listens for SIGTERM and SIGINT while `queue:work` runs, and returns a function that stops
   * listening. Without it the worker installs no signal handlers.
   */
  readonly onSignal?: (listener: (signal: CliSignal) => void) => () => void;
  /**
   * Ends the process at once, for a second signal while the worker stops. `runCli()` resolves
   * with the same code afterwards, for callers whose `exit` returns.
   */
  readonly exit?: (code: number) => void;
}
