/**
 * Scope hierarchy (MCP 2026-07-28 "Step-Up Authorization Flow": servers MUST account for scope hierarchies, a
 * broad scope implying narrower ones). `implies` maps a scope to the scopes it directly implies; the closure is
 * computed once.
 */
export class ScopeModel {
  private readonly closure = new Map<string, Set<string>>();

  constructor(implies: Readonly<Record<string, readonly string[]>> = {}) {
    for (const scope of Object.keys(implies)) this.closure.set(scope, this.walk(scope, implies));
  }

  private walk(start: string, implies: Readonly<Record<string, readonly string[]>>): Set<string> {
    const seen = new Set<string>([start]);
    const stack = [start];
    while (stack.length) {
      const s = stack.pop()!;
      for (const next of Object.hasOwn(implies, s) ? implies[s]! : []) {
        if (!seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    return seen;
  }

  /** every scope the given ones grant, implied ones included */
  expand(scopes: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const s of scopes) for (const x of this.closure.get(s) ?? [s]) out.add(x);
    return out;
  }

  /** whether `granted` satisfies `required` directly or through the hierarchy */
  satisfies(granted: Iterable<string>, required: string): boolean {
    for (const g of granted) {
      if (g === required) return true;
      if (this.closure.get(g)?.has(required)) return true;
    }
    return false;
  }
}
