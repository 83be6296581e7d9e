import type { ServerResponse } from 'node:http';

/**
 * Calls `onEnd` exactly once when a Node response is over: on `'finish'` (the last byte was handed
 * to the socket, streamed bodies included) or on `'close'` when the client went away first.
 * Adapters built on Node's `http` (Express, Fastify, plain `http`) share this.
 *
 * @param response - The response to watch.
 * @param onEnd - Called once, with the response.
 */
export function onResponseEnd(response: ServerResponse, onEnd: (response: ServerResponse) => void): void {
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    response.off('finish', end);
    response.off('close', end);
    onEnd(response);
  };
  response.once('finish', end);
  response.once('close', end);
}
