/** A response the test client received in full. */
export interface TestResponse {
  /** The status code. */
  readonly status: number;
  /** The response headers. */
  readonly headers: Headers;
  /** The body, as received. */
  readonly body: Buffer;
  /** The body as UTF-8 text. */
  readonly text: string;
  /**
   * The body parsed as JSON.
   *
   * @throws {SyntaxError} When it is not JSON.
   */
  json<T = unknown>(): T;
}

/** Builds a `TestResponse` from what was received. */
export function testResponse(status: number, headers: Headers, body: Buffer): TestResponse {
  const text = body.toString('utf8');
  return { status, headers, body, text, json: <T>() => JSON.parse(text) as T };
}

/** Web `Headers` from Node's `IncomingHttpHeaders`, repeated headers (`set-cookie`) included. */
export function webHeaders(headers: Record<string, string | string[] | undefined>): Headers {
  const result = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) result.append(name, one);
  }
  return result;
}
