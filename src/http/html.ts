/**
 * Server-rendered HTML with escaping by default: every value interpolated into
 * an {@link html} template is escaped, unless it is itself {@link SafeHtml}
 * (another template's output). There is no other way to put text in a page.
 */
import { escapeHtml } from '../mail/templates/html.js';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

type Fragment = SafeHtml | string | number | boolean | null | undefined | readonly Fragment[];

function render(value: Fragment): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(value as string | number);
}

/** A template whose interpolations are escaped; arrays are joined, null/undefined/booleans render nothing. */
export function html(strings: TemplateStringsArray, ...values: Fragment[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((v, i) => {
    out += render(v) + strings[i + 1]!;
  });
  return new SafeHtml(out);
}
