/**
 * The text form of Warden's 32-byte keys (`WARDEN_SECRET_KEY`, the embedded
 * `secret.key` file): canonical base64 and nothing else. `Buffer.from(v,
 * 'base64')` skips characters that are not base64, so a mistyped key would
 * silently become another key; here it is refused instead.
 */

/** 32 bytes in standard base64: 43 characters and one `=` pad. */
const KEY_TEXT = /^[A-Za-z0-9+/]{43}=$/;

/**
 * The 32-byte key `text` encodes, or undefined when it is not exactly the
 * canonical base64 of 32 bytes (no whitespace, no URL-safe alphabet, no stray bits).
 */
export function decodeKey(text: string): Buffer | undefined {
  if (!KEY_TEXT.test(text)) return undefined;
  const key = Buffer.from(text, 'base64');
  // The last character carries 2 unused bits: only one spelling per key is canonical.
  return key.length === 32 && key.toString('base64') === text ? key : undefined;
}
