/** A class that builds `T`: what the container can construct and what tokens often are. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Constructor<T = unknown> = new (...args: any[]) => T;
