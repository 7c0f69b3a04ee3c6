/**
 * The one sanitiser for text that a person reads on a terminal or in an email:
 * the `check` table, the text output of every command, the digest's text and
 * HTML parts (docs/architecture.md "Principles").
 *
 * Names, labels, URLs and error messages come from places Warden does not
 * control (a token's name typed in the platform, a snapshot file, a CSV of
 * stores, a platform's error answer). Printed raw, a control character is
 * executed rather than shown: `ESC ] 0 ; … BEL` retitles the terminal, `ESC [2J`
 * clears it, a CR or LF followed by text forges a line, and a bidi override
 * (U+202E) makes a line read differently from what it holds. So every such
 * character is shown instead, as the JSON escape of its code point: ESC is
 * printed as the six characters `\u001b`, a newline inside a name as `\u000a`.
 * The form is the one `--format json` already uses, names the exact character,
 * and stays within ASCII, so it survives any terminal, font or mail client.
 *
 * What counts as a control character: every Unicode `Cc` character (C0
 * U+0000–U+001F, DEL U+007F, C1 U+0080–U+009F) and every `Bidi_Control`
 * character (U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069).
 *
 * JSON output needs none of this: `JSON.stringify` escapes C0 itself, and a
 * JSON reader is a program, not a terminal. CSV cells are data and are kept as
 * they are (their formulas are defused in `../report/findings.format.ts`).
 */

/** Control characters anywhere, newline and TAB included. */
const CONTROL = /[\p{Cc}\p{Bidi_Control}]/gu;

/** The same, except the newline, for a text whose line breaks are meant. */
const CONTROL_EXCEPT_NEWLINE = /(?!\n)[\p{Cc}\p{Bidi_Control}]/gu;

function shown(ch: string): string {
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * `text` as one line that cannot drive a terminal or a mail client: each
 * control character (newline, CR and TAB included) becomes its visible
 * `\uXXXX` form. Text without control characters is returned unchanged.
 */
export function printable(text: string): string {
  return text.replace(CONTROL, shown);
}

/**
 * As {@link printable}, but newlines are kept: for a multi-line text whose
 * lines Warden itself put together (each line's values already one line).
 * CR is still shown, so `\r\n` from a platform becomes `\u000d` and a newline.
 */
export function printableLines(text: string): string {
  return text.replace(CONTROL_EXCEPT_NEWLINE, shown);
}
