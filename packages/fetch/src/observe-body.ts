/**
 * Wraps a response body in a pass-through stream that calls `onEnd` once: when the consumer has
 * read it to the end, when the consumer cancelled it (the client went away), or when it failed.
 *
 * The wrapper pulls a chunk only when the consumer asks for one (high-water mark 0), so the end
 * of the source is seen only after the consumer has taken every chunk before it: `onEnd` never
 * runs while part of the body is still waiting to be read.
 *
 * @param body - The original body; the wrapper locks it.
 * @param onEnd - Called once, with the error when the source failed.
 * @returns The stream to send instead of `body`.
 */
export function observeBody(
  body: ReadableStream<Uint8Array>,
  onEnd: (error?: unknown) => void,
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let ended = false;
  const end = (error?: unknown) => {
    if (ended) return;
    ended = true;
    onEnd(error);
  };
  return new ReadableStream<Uint8Array>(
    {
      pull: (controller) =>
        reader.read().then(
          (chunk) => {
            if (!chunk.done) return controller.enqueue(chunk.value);
            end();
            controller.close();
          },
          (error: unknown) => {
            end(error);
            controller.error(error);
          },
        ),
      cancel: (reason) => {
        end();
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
