/**
 * Text that goes in an email body is masked before it is shown. The rules keep
 * titles and labels free of personal data, but a label is copied from whatever
 * the tenant typed (an account's name, a token's name), and someone will one
 * day name a token after a customer's email address; an email is a copy we can
 * never take back, so the body hides anything shaped like an address.
 */

// Deliberately loose: anything@anything.tld is masked, even if not a valid address.
const EMAIL_SHAPE = /[^\s@<>"'(),;:]+@[^\s@<>"'(),;:]+\.[^\s@<>"'(),;:]+/g;

/** What replaces an email-shaped substring. */
export const EMAIL_MASK = '[email hidden]';

/** `text` with every email-shaped substring replaced by {@link EMAIL_MASK}. */
export function maskEmails(text: string): string {
  // Every match holds an `@`: a text without one (a large tenant's whole CSV, usually) is
  // returned after one fast scan instead of the regex trying a match at each of its characters.
  return text.includes('@') ? text.replace(EMAIL_SHAPE, EMAIL_MASK) : text;
}
