import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ERROR_TABLE } from '../../src/core/errors.js';

/**
 * Issue 11 item 4: docs/troubleshooting.md is keyed by the error a user actually sees, and a test fails when an error
 * the server can emit is missing from it. What the server can emit is read from the code itself: every OAuth `error`
 * value of the one error table, every JSON-RPC error message the gateway and the embedded middleware write, and every
 * title of an error page.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const doc = readFileSync(join(ROOT, 'docs/troubleshooting.md'), 'utf8');
const headings = new Set([...doc.matchAll(/^###+ `([^`]+)`/gm)].map((m) => m[1]!));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sources(p) : name.endsWith('.ts') ? [readFileSync(p, 'utf8')] : [];
  });
}
const code = sources(join(ROOT, 'src')).join('\n');

/** the literal start of a message: up to an interpolation */
const literal = (s: string) => s.replace(/\$\{.*$/, '').trimEnd();

export function emittedRpcMessages(src: string): string[] {
  return [...new Set([...src.matchAll(/jsonRpcErrorResponse\(\s*\d+,\s*[A-Z_]+,\s*['`]([^'`]+)/g)].map((m) => literal(m[1]!)))];
}
export function errorPageTitles(src: string): string[] {
  return [...new Set([...src.matchAll(/errorPage\([^,]+,\s*\d+,\s*'([^']+)'/g)].map((m) => m[1]!))];
}

test('every OAuth error value the server can send has an entry (docs.troubleshooting)', () => {
  const wire = [...new Set(Object.entries(ERROR_TABLE).map(([code, row]) => (row as { wire?: string }).wire ?? code))];
  assert.ok(wire.length >= 15);
  assert.deepEqual(wire.filter((w) => !headings.has(w)), []);
});

test('every JSON-RPC error message of the gateway and the middleware has an entry (docs.troubleshooting)', () => {
  const messages = emittedRpcMessages(code);
  assert.ok(messages.includes('Parse error') && messages.length >= 10, `found ${messages.length} messages`);
  assert.deepEqual(messages.filter((m) => !headings.has(m)), []);
});

test('every error page title has an entry (docs.troubleshooting)', () => {
  const titles = errorPageTitles(code);
  assert.ok(titles.includes('Invalid redirect URI') && titles.length >= 8, `found ${titles.length} titles`);
  assert.deepEqual(titles.filter((t) => !headings.has(t)), []);
});

test('start-up configuration errors have an entry (docs.troubleshooting)', () => {
  assert.ok(headings.has('configuration error'));
  assert.match(readFileSync(join(ROOT, 'src/cli/main.ts'), 'utf8'), /configuration error: /, 'the CLI prints what the entry quotes');
});
