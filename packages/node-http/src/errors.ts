import { EpilogueError } from '@epilogue/core';

/** Thrown by `serve()` when the server cannot listen (port in use, permission denied...). */
export class ListenError extends EpilogueError {
  /** @param address - Where it tried to listen. */
  static at(address: string, cause: unknown): ListenError {
    return new ListenError(
      'E_LISTEN_FAILED',
      `The server could not listen on ${address}. Pick another port (0 picks a free one) or stop ` +
        'what holds this one.',
      { cause },
    );
  }
}
