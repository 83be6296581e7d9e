import { StartedDispatch } from '../dispatch-result.js';

/**
 * A chain being dispatched, returned by `PendingChain.dispatch()`: await it to know that the
 * chain was pushed (queued) or has run (in this process). A failure nobody awaits is sent to the
 * application's reporter, never left as an unhandled rejection.
 */
export class DispatchedChain extends StartedDispatch<void> {}
