import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidPayloadError } from '../errors.js';

const PREFIX = '{"sig":"';
const MAC_LENGTH = 64;
const SEPARATOR = '",';

/**
 * Signs payloads with HMAC-SHA256 and checks signatures, on the exact text: a signed payload is
 * the JSON object with a first member `"sig"` holding the hex MAC of the same text without that
 * member. Checking needs no re-serialization, so nothing about JSON formatting can make a good
 * payload look tampered with.
 */
export class PayloadSigner {
  readonly #key: Buffer;

  /** @param key - The application's secret: at least 32 bytes of entropy. */
  constructor(key: string | Buffer) {
    this.#key = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  }

  /**
   * @param json - A serialized JSON object (starting with `{` and not empty).
   * @returns The same object with the `sig` member first.
   */
  sign(json: string): string {
    return `${PREFIX}${this.#mac(json)}${SEPARATOR}${json.slice(1)}`;
  }

  /**
   * @param body - A signed payload.
   * @returns The payload's text without the signature.
   * @throws {InvalidPayloadError} `bad-signature`, when it is not signed or the MAC does not match.
   */
  verify(body: string): string {
    if (!body.startsWith(PREFIX)) throw InvalidPayloadError.badSignature('it is not signed');
    const given = body.slice(PREFIX.length, PREFIX.length + MAC_LENGTH);
    const rest = PREFIX.length + MAC_LENGTH;
    if (!/^[0-9a-f]{64}$/.test(given) || body.slice(rest, rest + SEPARATOR.length) !== SEPARATOR) {
      throw InvalidPayloadError.badSignature('its signature is unreadable');
    }
    const unsigned = `{${body.slice(rest + SEPARATOR.length)}`;
    const expected = Buffer.from(this.#mac(unsigned), 'hex');
    if (!timingSafeEqual(Buffer.from(given, 'hex'), expected)) {
      throw InvalidPayloadError.badSignature('its signature does not match its content');
    }
    return unsigned;
  }

  #mac(text: string): string {
    return createHmac('sha256', this.#key).update(text, 'utf8').digest('hex');
  }
}
