/**
 * Name patterns for tool, prompt and resource policy: exact names, or globs where `*` matches any run of
 * characters and `?` one character. An exact entry wins over any glob; among globs the longest pattern wins
 * (the most specific), so `notes_admin_*` beats `notes_*` beats `*`.
 */
export interface PatternTable<T> {
  lookup(name: string): T | undefined;
}

export function compilePatterns<T>(entries: Readonly<Record<string, T>>): PatternTable<T> {
  const exact = new Map<string, T>();
  const globs: { re: RegExp; length: number; value: T }[] = [];
  for (const [pattern, value] of Object.entries(entries)) {
    if (!/[*?]/.test(pattern)) {
      exact.set(pattern, value);
      continue;
    }
    const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
    globs.push({ re: new RegExp(`^${source}$`, 's'), length: pattern.length, value });
  }
  globs.sort((a, b) => b.length - a.length);
  return {
    lookup(name) {
      if (exact.has(name)) return exact.get(name);
      return globs.find((g) => g.re.test(name))?.value;
    },
  };
}
