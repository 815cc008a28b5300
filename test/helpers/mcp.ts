/**
 * The text of a tools/call result (SDK v1 or v2): the `text` of every text content block, joined by newlines.
 * Throws with the whole result when the tool reported an error, so a failing call reads clearly in the test output.
 */
export function toolText(result: unknown): string {
  const r = result as { content?: Array<{ type?: string; text?: string }>; isError?: boolean };
  if (r.isError) throw new Error(`tool call failed: ${JSON.stringify(result)}`);
  if (!Array.isArray(r.content)) throw new Error(`not a tools/call result: ${JSON.stringify(result)}`);
  return r.content
    .filter((c) => c.type === 'text' && typeof c.text === 'string')
    .map((c) => c.text!)
    .join('\n');
}

/**
 * A predicate for assert.rejects that accepts instances of `cls` and rethrows anything else, so that an
 * unexpected failure (say, an assertion inside redirectToAuthorization) is reported as itself.
 */
export function expectError(cls: abstract new (...args: never[]) => Error): (e: unknown) => true {
  return (e) => {
    if (e instanceof cls) return true;
    throw e;
  };
}
