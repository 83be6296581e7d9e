import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

// Where a watched response keeps its callback, so that the listeners can be shared functions:
// watching a response allocates no closure and no `once` wrapper.
const ON_END = Symbol('epilogue.onResponseEnd');
// The responses queued on a connection form a list: the connection points to the first one,
// each one to the next. (A Set or a listener per response costs measurably more: see
// docs/benchmarks.md.)
const FIRST_QUEUED = Symbol('epilogue.firstQueued');
const NEXT_QUEUED = Symbol('epilogue.nextQueued');
const QUEUED_ON = Symbol('epilogue.queuedOn');

type OnEnd = (response: ServerResponse) => void;
type WatchedResponse = ServerResponse & {
  [ON_END]?: OnEnd;
  [QUEUED_ON]?: Connection;
  [NEXT_QUEUED]?: WatchedResponse;
};
type Connection = Socket & { [FIRST_QUEUED]?: WatchedResponse };

/**
 * Calls `onEnd` exactly once when a Node response is over: on its `'close'`, which Node emits
 * on the tick after `'finish'` (the last byte was handed to the socket, streamed bodies
 * included), and at once when the client went away first. Adapters built on Node's `http`
 * (Express, Fastify, plain `http`) share this.
 *
 * A pipelined request that waits behind another one on its connection has a response without a
 * socket yet; if the connection closes before its turn, Node emits no `'close'` on that
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
  // One listener: a response emits 'close' whether it finished or not (a 'finish' listener too
  // would cost a listener array per response). Plain `on`: removing it costs more than keeping it.
  response.on('close', onResponseEvent);
  const connection = response.socket === null ? response.req?.socket : undefined;
  if (connection) enqueue(watched, connection);
}

function onResponseEvent(this: WatchedResponse): void {
  end(this);
}

function end(response: WatchedResponse): void {
  const onEnd = response[ON_END];
  if (onEnd === undefined) return;
  response[ON_END] = undefined;
  if (response[QUEUED_ON] !== undefined) dequeue(response);
  onEnd(response);
}

function enqueue(response: WatchedResponse, connection: Connection): void {
  response[QUEUED_ON] = connection;
  // The property stays once set (undefined when the list is empty): the listener is added once.
  if (!(FIRST_QUEUED in connection)) connection.once('close', onConnectionClose);
  let last = connection[FIRST_QUEUED];
  if (last === undefined) {
    connection[FIRST_QUEUED] = response;
    return;
  }
  while (last[NEXT_QUEUED] !== undefined) last = last[NEXT_QUEUED];
  last[NEXT_QUEUED] = response;
}

// Responses end in the order of their requests, so the one to remove is nearly always the first.
function dequeue(response: WatchedResponse): void {
  const connection = response[QUEUED_ON] as Connection;
  const next = response[NEXT_QUEUED];
  response[QUEUED_ON] = undefined;
  response[NEXT_QUEUED] = undefined;
  if (connection[FIRST_QUEUED] === response) {
    connection[FIRST_QUEUED] = next;
    return;
  }
  for (let queued = connection[FIRST_QUEUED]; queued !== undefined; queued = queued[NEXT_QUEUED]) {
    if (queued[NEXT_QUEUED] === response) {
      queued[NEXT_QUEUED] = next;
      return;
    }
  }
}

function onConnectionClose(this: Connection): void {
  let response = this[FIRST_QUEUED];
  this[FIRST_QUEUED] = undefined;
  while (response !== undefined) {
    const next = response[NEXT_QUEUED];
    end(response);
    response = next;
  }
}
