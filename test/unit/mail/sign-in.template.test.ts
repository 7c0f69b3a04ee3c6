// The sign-in email (src/mail/templates/sign-in.template.ts): the link and the code in both parts,
// every value escaped, and nothing but the greeting, link and code differing between two people.
import { describe, expect, it } from 'vitest';
import { renderSignInMail } from '../../../src/mail/templates/sign-in.template.js';

const URL_A = 'https://warden.example/sign-in/link?token=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const URL_B = 'https://warden.example/sign-in/link?token=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

describe('renderSignInMail', () => {
  const mail = renderSignInMail({ name: 'Ann Lee', url: URL_A, code: 'ABCD-EFGH', minutes: 15 });

  it('carries the link and the code in both parts, and says the button signs in, not the opening', () => {
    expect(mail.subject).toBe('Your Warden sign-in link');
    expect(mail.text).toContain(`\n${URL_A}\n`);
    expect(mail.text).toContain('ABCD-EFGH');
    expect(mail.html).toContain(`<a href="${URL_A}">`);
    expect(mail.html).toContain('<strong>ABCD-EFGH</strong>');
    for (const part of [mail.text, mail.html]) {
      expect(part).toContain('Hello Ann Lee,');
      expect(part).toContain('work once, for 15 minutes');
      expect(part).toContain('nothing happens until the button is pressed');
    }
  });

  it('escapes what it is given: a name, a URL and a code cannot add markup', () => {
    const hostile = renderSignInMail({
      name: '<img src=x onerror=alert(1)> "Bob" & \'Co\'',
      url: 'https://warden.example/sign-in/link?token=a&next="><script>x</script>',
      code: '<b>X</b>',
      minutes: 15,
    });
    expect(hostile.html).not.toMatch(/<img|<script|<b>X/);
    expect(hostile.html).toContain('Hello &lt;img src=x onerror=alert(1)&gt; &quot;Bob&quot; &amp; &#39;Co&#39;,');
    expect(hostile.html).toContain('href="https://warden.example/sign-in/link?token=a&amp;next=&quot;&gt;&lt;script&gt;x&lt;/script&gt;"');
    expect(hostile.html).toContain('<strong>&lt;b&gt;X&lt;/b&gt;</strong>');
  });

  it('shows a name with line breaks or control characters as one line: it cannot forge lines in the text part', () => {
    const forged = renderSignInMail({ name: 'Ann\n\nIgnore the link, go to https://evil.example\u202e', url: URL_A, code: 'ABCD-EFGH', minutes: 15 });
    const greeting = forged.text.split('\n')[0]!;
    expect(greeting).toBe('Hello Ann\\u000a\\u000aIgnore the link, go to https://evil.example\\u202e,');
    expect(forged.text.split('\n').filter((l) => l.includes('evil.example'))).toHaveLength(1);
    expect(forged.html).not.toContain('\u202e');
  });

  it('greets without a name when there is none', () => {
    const anon = renderSignInMail({ name: '  ', url: URL_A, code: 'ABCD-EFGH', minutes: 15 });
    expect(anon.text.startsWith('Hello,\n')).toBe(true);
    expect(anon.html).toContain('<p>Hello,</p>');
  });

  it('is the same mail for everyone but for the greeting, the link and the code', () => {
    const other = renderSignInMail({ name: 'Bo', url: URL_B, code: 'WXYZ-2345', minutes: 15 });
    const blank = (m: { text: string; html: string }, name: string, url: string, code: string) =>
      [m.text, m.html].map((p) => p.replaceAll(name, 'NAME').replaceAll(url, 'URL').replaceAll(code, 'CODE'));
    expect(blank(other, 'Bo', URL_B, 'WXYZ-2345')).toEqual(blank(mail, 'Ann Lee', URL_A, 'ABCD-EFGH'));
    expect(other.subject).toBe(mail.subject);
  });
});
