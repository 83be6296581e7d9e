import { observeBody } from './observe-body.js';

/**
 * What a platform may pass next to the request to keep work alive after the response
 * (Cloudflare Workers' `ctx`, Vercel's and Netlify's `context`).
 */
export interface WaitUntilContext {
  /** Keeps the isolate or function alive until `promise` settles. */
  waitUntil(promise: Promise<unknown>): void;
}

/** Runs the terminate phase with the handler's response; `error` is a failure of its body. Never rejects. */
export type OnResponseEnd = (sent: Response, error?: unknown) => Promise<void>;

/** Takes the handler's response and returns the one to hand to the platform. */
export type ResponseWatcher = (response: Response) => Response;

/** The parts of `@hono/node-server`'s bindings (`{ incoming, outgoing }`) used to see the response end. */
interface NodeBindings {
  incoming?: { once(event: 'close', listener: () => void): unknown; socket?: { destroyed?: boolean } | null };
  outgoing: { once(event: 'close', listener: () => void): unknown; writableFinished: boolean; shouldKeepAlive?: boolean };
}

/**
 * Picks, before the handler runs, the best signal the platform gives for "the response is out",
 * and calls `onEnd` once on it:
 *
 * 1. an argument with `waitUntil()`: once the response is returned, `onEnd` starts on a
 *    macrotask and its promise goes to `waitUntil`;
 * 2. Node bindings (`{ outgoing }`, from `@hono/node-server`): once the handler has returned and
 *    the Node response has closed, after its last byte or because the client went away (which
 *    may happen while the handler still runs, hence watching from the start);
 * 3. a response without a body to read (null body, `HEAD`): on a macrotask after it is returned;
 * 4. otherwise: once the runtime has read the body to the end, or cancelled it.
 *
 * @param request - The request (the body of a `HEAD` response is never read).
 * @param args - The platform's arguments after the request.
 * @param onEnd - Runs the terminate phase.
 * @returns What to call with the handler's response.
 */
export function watchResponse(request: Request, args: readonly unknown[], onEnd: OnResponseEnd): ResponseWatcher {
  const context = find(args, isWaitUntilContext);
  if (context !== undefined) {
    return (response) => {
      context.waitUntil(afterMacrotask(() => onEnd(response)));
      return response;
    };
  }
  const node = find(args, isNodeBindings);
  if (node !== undefined) return watchNodeResponse(node, onEnd);
  return (response) => watchBody(response, request, onEnd);
}

/**
 * Asks a Node server to close the connection after this response (`Connection: close`), when the
 * platform passed Node bindings: during a shutdown, kept-alive clients then stop bringing requests.
 *
 * @param args - The platform's arguments after the request.
 */
export function closeConnectionAfterResponse(args: readonly unknown[]): void {
  const node = find(args, isNodeBindings);
  if (node !== undefined) node.outgoing.shouldKeepAlive = false;
}

// A Node response emits 'close' last: after 'finish' once the last byte was handed to the socket,
// or alone when the connection went away first. The exception is a pipelined request queued
// behind another when the connection goes: its response gets neither event, its request closes.
function watchNodeResponse({ incoming, outgoing }: NodeBindings, onEnd: OnResponseEnd): ResponseWatcher {
  let handled: Response | undefined;
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    if (handled !== undefined) void onEnd(handled);
  };
  outgoing.once('close', close);
  // A request also closes, early, once its body has been read: only a lost connection counts.
  incoming?.once('close', () => {
    if (incoming.socket?.destroyed === true) close();
  });
  return (response) => {
    handled = response;
    if (closed) void onEnd(response);
    return response;
  };
}

function watchBody(response: Response, request: Request, onEnd: OnResponseEnd): Response {
  if (response.body === null || request.method === 'HEAD') {
    void afterMacrotask(() => onEnd(response));
    return response;
  }
  const body = observeBody(response.body, (error) => void afterMacrotask(() => onEnd(response, error)));
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

// Workers pass (request, env, ctx), Vercel and Netlify (request, context), @hono/node-server
// (request, { incoming, outgoing }): look at every argument, the last first.
function find<T>(args: readonly unknown[], test: (value: unknown) => value is T): T | undefined {
  for (let i = args.length - 1; i >= 0; i--) if (test(args[i])) return args[i] as T;
  return undefined;
}

function isWaitUntilContext(value: unknown): value is WaitUntilContext {
  return typeof (value as Partial<WaitUntilContext> | null | undefined)?.waitUntil === 'function';
}

function isNodeBindings(value: unknown): value is NodeBindings {
  const outgoing = (value as { outgoing?: Partial<NodeBindings['outgoing']> } | null | undefined)?.outgoing;
  return typeof outgoing?.once === 'function' && typeof outgoing.writableFinished === 'boolean';
}

// A macrotask lets the platform take the response (and write it) before after-response work begins.
function afterMacrotask(work: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => setTimeout(() => resolve(work()), 0));
}
