import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REQUIREMENTS } from './requirements.js';

const root = new URL('.', import.meta.url).pathname;

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === '.tmp' ? [] : testFiles(p);
    return name.endsWith('.test.ts') && name !== 'requirements.test.ts' ? [p] : [];
  });
}

describe('STYLE §7: every requirement is named by at least one test title (requirements.traced)', () => {
  const corpus = testFiles(root).map((f) => readFileSync(f, 'utf8')).join('\n');
  it('ids are unique', () => {
    const ids = REQUIREMENTS.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
  });
  for (const r of REQUIREMENTS) {
    it(`${r.id} (${r.level}, ${r.source}) has a test`, () => {
      assert.ok(corpus.includes(`(${r.id})`) || corpus.includes(`${r.id},`) || corpus.includes(`, ${r.id})`), `no test title names ${r.id}`);
    });
  }
});
