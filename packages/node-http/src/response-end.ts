import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

// Where a watched response keeps its callback, so that the listeners can be shared functions:
// watching a response allocates no closure and no `once` wrapper.
const ON_END = Symbol('epilogue.onResponseEnd');
// The responses queued behind another one on a connection, ended if the connection closes first.
const QUEUED = Symbol('epilogue.queuedResponses');

type OnEnd = (response: ServerResponse) => void;
type WatchedResponse = ServerResponse & { [ON_END]?: OnEnd };
type Connection = Socket & { [QUEUED]?: Set<WatchedResponse> };

/**
 * Calls `onEnd` exactly once when a Node response is over: on `'finish'` (the last byte was handed
 * to the socket, streamed bodies included), or on `'close'` when the client went away first.
 * Adapters built on Node's `http` (Express, Fastify, plain `http`) share this.
 *
 * A pipelined request that waits behind another one on its connection has a response without a
 * socket yet; if the connection closes before its turn, Node emits neither event on that
 * response, so for such a response the connection's own `'close'` ends it too. One listener per
 * connection serves all of its queued responses, however deep the pipeline.
 *
 * @param response - The response to watch.
 * @param onEnd - Called once, with the response.
 */
export function onResponseEnd(response: ServerResponse, onEnd: OnEnd): void {
  const watched = response as WatchedResponse;
  const previous = watched[ON_END];
  if (previous !== undefined) {
    // Watched twice (two adapters on one server, say): one end calls both, in order.
    watched[ON_END] = (ended) => {
      previous(ended);
      onEnd(ended);
    };
    return;
  }
  watched[ON_END] = onEnd;
  // Plain `on`: end() ignores the second event, and removing listeners costs more than keeping them.
  response.on('finish', onResponseEvent);
  response.on('close', onResponseEvent);
  const connection = response.socket === null ? (response.req?.socket as Connection | undefined) : undefined;
  if (connection) queue(watched, connection);
}

function onResponseEvent(this: WatchedResponse): void {
  end(this);
}

function end(response: WatchedResponse): void {
  const onEnd = response[ON_END];
  if (onEnd === undefined) return;
  response[ON_END] = undefined;
  (response.req?.socket as Connection | undefined)?.[QUEUED]?.delete(response);
  onEnd(response);
}

function queue(response: WatchedResponse, connection: Connection): void {
  let queued = connection[QUEUED];
  if (queued === undefined) {
    queued = connection[QUEUED] = new Set();
    connection.once('close', onConnectionClose);
  }
  queued.add(response);
}

function onConnectionClose(this: Connection): void {
  const queued = this[QUEUED];
  this[QUEUED] = undefined;
  for (const response of queued ?? []) end(response);
}
