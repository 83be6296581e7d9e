// The tests' waits: a timer tick, a gate the test opens by hand and a wait that polls instead of
// sleeping. They are the ones @epilogue/queue's published conformance suites use (a driver
// author's tests run those, so they cannot come from this private package): one copy, there.
export { gate, tick, waitFor } from '../../packages/queue/src/testing/waits.js';
