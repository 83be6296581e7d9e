// Modules the docs import that this repository does not install: their real signatures, as far
// as the docs use them, so the blocks that import them are checked like the others.

declare module '@vercel/functions' {
  /** Keeps the function alive until `promise` settles (https://vercel.com/docs/functions/functions-api-reference). */
  export function waitUntil(promise: Promise<unknown>): void;
}
