/**
 * The keys that appear more than once in one JSON object of `text`, at any depth.
 * `JSON.parse` keeps the last of two equal keys silently, so a log line that
 * carries a key twice (a child logger's binding and the same key in the call)
 * parses fine and loses a value: this reads the text itself.
 * Assumes `text` is valid JSON (parse it first).
 */
export function duplicateKeys(text: string): string[] {
  const found: string[] = [];
  let i = 0;
  const space = () => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const string = (): string => {
    const start = i;
    i++; // opening quote
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{' || c === '[') {
      const object = c === '{';
      const seen = new Set<string>();
      i++;
      space();
      if (text[i] === (object ? '}' : ']')) {
        i++;
        return;
      }
      for (;;) {
        if (object) {
          space();
          const key = string();
          if (seen.has(key)) found.push(key);
          seen.add(key);
          space();
          i++; // colon
        }
        value();
        space();
        if (text[i++] !== ',') return;
      }
    }
    if (c === '"') {
      string();
      return;
    }
    while (i < text.length && !/[\s,\]}]/.test(text[i]!)) i++;
  };
  value();
  return found;
}
