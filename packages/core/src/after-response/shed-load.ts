import { InvalidShedLoadOptionError } from '../errors.js';
import type { AfterResponseGovernor } from './governor.js';

/**
 * The `shedLoad` option of the HTTP adapters: answer `503 Service Unavailable` with a
 * `Retry-After` header, before the route runs, while `app.afterResponse.overloaded` is true.
 * `true` uses `Retry-After: 1`; `{ retryAfterSeconds }` sets it. Off by default.
 */
export type ShedLoadOption = boolean | { readonly retryAfterSeconds?: number };

/** What an adapter asks before it lets a request in. */
export interface LoadShedder {
  /** The `Retry-After` header's value (whole seconds, as text). */
  readonly retryAfter: string;
  /** Whether to answer this request with 503 now. */
  shed(): boolean;
}

/** The body of a shed request's 503 response. */
export const SHED_BODY = 'Service Unavailable: the server has more after-response work waiting than it keeps; retry later.';

/**
 * Reads an adapter's `shedLoad` option. Returns `undefined` when shedding is off, so that an
 * adapter adds nothing to its request path then.
 *
 * @param app - The application, for its governor.
 * @param option - The adapter's `shedLoad` option.
 * @throws {InvalidShedLoadOptionError} When the option is not `true`, `false` or `{ retryAfterSeconds }` with a whole number ≥ 1.
 */
export function loadShedder(app: { readonly afterResponse: AfterResponseGovernor }, option: ShedLoadOption | undefined): LoadShedder | undefined {
  if (option === undefined || option === false) return undefined;
  let seconds: unknown = 1;
  if (option !== true) {
    if (typeof option !== 'object' || option === null) throw InvalidShedLoadOptionError.forValue(option);
    seconds = option.retryAfterSeconds ?? 1;
  }
  if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 1) {
    throw InvalidShedLoadOptionError.forValue(option);
  }
  const governor = app.afterResponse;
  return { retryAfter: String(seconds), shed: () => governor.overloaded };
}
