// Detects `app.use(epilogue(app))` mounted after routes. Express gives a middleware no word of
// where it was mounted, and a route registered before it answers requests the middleware never
// sees, so the check watches every response of the process (node:http's
// `http.server.response.finish` diagnostics channel): a response to a request that a route
// answered without any Epilogue middleware having run for it, on an Express app whose router has
// an `epilogue()` middleware after that route, is the mistake. It is reported once per middleware,
// through its application's reporter, and each route is looked at once.
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { Application } from '@epilogue/core';
import { ExpressMountedAfterRoutesError } from './errors.js';

// What the check reads of Express 4 and 5 (and their routers): their own shapes, not typed there.
interface Layer {
  handle?: unknown;
  route?: unknown;
}
interface ExpressRoute {
  path?: unknown;
}
interface ExpressRequest extends IncomingMessage {
  app?: { _router?: { stack?: unknown }; router?: { stack?: unknown } };
  route?: ExpressRoute;
}

interface Watch {
  app: Application;
  reported: boolean;
}

const watches = new WeakMap<object, Watch>();
const scoped = new WeakSet<IncomingMessage>();
const checkedRoutes = new WeakSet<object>();
let subscribed = false;

/**
 * Watches for routes registered before `middleware`, the one `epilogue(app)` returned.
 *
 * @returns What the middleware calls for each request it runs for.
 */
export function watchMountOrder(app: Application, middleware: object): (request: IncomingMessage) => void {
  watches.set(middleware, { app, reported: false });
  if (!subscribed) {
    subscribed = true;
    subscribe('http.server.response.finish', onResponseFinish);
  }
  return (request) => scoped.add(request);
}

function onResponseFinish(message: unknown): void {
  const request = (message as { request: ExpressRequest }).request;
  const route = request.route;
  if (typeof route !== 'object' || route === null || scoped.has(request) || checkedRoutes.has(route)) return;
  checkedRoutes.add(route);
  // Express 4 keeps its router in `_router`, Express 5 in `router`.
  const router = request.app?._router ?? request.app?.router;
  for (const watch of new Set(mountedAfter(layers(router), route))) {
    if (watch.reported) continue;
    watch.reported = true;
    watch.app.report(ExpressMountedAfterRoutesError.forRoute(request.method ?? 'GET', String(route.path)), {
      phase: 'request',
      scope: 'root',
      method: request.method,
      url: (request as { originalUrl?: string }).originalUrl ?? request.url,
    });
  }
}

// The watches of the epilogue() middlewares mounted after the route: after the layer that holds
// it, at its level and at each level of the routers it is nested in.
function mountedAfter(stack: Layer[], route: object): Watch[] {
  const at = stack.findIndex((layer) => layerRoutes(layer).includes(route));
  if (at < 0) return [];
  const after = stack.slice(at + 1).flatMap((layer) => nested(layer).flatMap((inner) => watchOf(inner)));
  return stack[at].route === route ? after : [...after, ...mountedAfter(layers(stack[at].handle), route)];
}

// The layers of a router (the app's, or a Router mounted with use()), or none.
function layers(router: unknown): Layer[] {
  const stack = (router as { stack?: unknown } | undefined)?.stack;
  return Array.isArray(stack) ? (stack as Layer[]) : [];
}

// The layer, and the layers of the routers it mounts, at any depth.
function nested(layer: Layer, seen = new Set<unknown>()): Layer[] {
  if (seen.has(layer.handle)) return [layer];
  seen.add(layer.handle);
  return [layer, ...layers(layer.handle).flatMap((inner) => nested(inner, seen))];
}

const layerRoutes = (layer: Layer): unknown[] => nested(layer).map((inner) => inner.route).filter((route) => route !== undefined);

const watchOf = (layer: Layer): Watch[] => {
  const watch = typeof layer.handle === 'function' ? watches.get(layer.handle) : undefined;
  return watch === undefined ? [] : [watch];
};
