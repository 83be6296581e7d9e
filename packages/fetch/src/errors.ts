import { describeValue, EpilogueError } from '@epilogue/core';

/** Reported when a fetch handler resolves to something that is not a `Response`; the client gets a 500. */
export class InvalidResponseError extends EpilogueError {
  /**
   * @param value - What the handler resolved to.
   * @returns The error, to report.
   */
  static forValue(value: unknown): InvalidResponseError {
    return new InvalidResponseError(
      'E_INVALID_RESPONSE',
      `A fetch handler must return a Response (or a promise of one); got ${describeValue(value)}. ` +
        'Check that every branch of the handler returns, for example `return new Response(body)`.',
    );
  }
}
