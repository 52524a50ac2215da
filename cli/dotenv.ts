/**
 * A `.env` file's `KEY=value` lines, as dotenv reads them: blank lines and `#` comments skipped,
 * an optional `export `, values bare (a ` #` starts a comment), in single quotes (as written) or
 * in double quotes (`\n`, `\"` and `\\` escaped). Lines that are none of these are ignored.
 *
 * Not Node's `util.parseEnv` (Node 20.20): it ends `"a \"b\""` at the escaped quote (`a \`),
 * cuts `value#x` to `value`, and reads a commented last line `# KEY=x` as a key `# KEY`.
 */
export function parseDotEnv(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(raw);
    if (!m?.[1]) continue;
    const value = readValue(m[2] ?? '');
    if (value !== undefined) values[m[1]] = value;
  }
  return values;
}

function readValue(text: string): string | undefined {
  const quote = text[0];
  if (quote === "'" || quote === '"') {
    const end = findClosing(text, quote);
    if (end < 0) return undefined;
    const inner = text.slice(1, end);
    return quote === "'"
      ? inner
      : inner.replace(/\\([n"\\])/g, (_all, c: string) => (c === 'n' ? '\n' : c));
  }
  return text.replace(/\s+#.*$/, '').trim();
}

function findClosing(text: string, quote: string): number {
  for (let i = 1; i < text.length; i++) {
    if (quote === '"' && text[i] === '\\') {
      i += 1;
      continue;
    }
    if (text[i] === quote) return i;
  }
  return -1;
}
