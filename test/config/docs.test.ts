import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { configurationReference } from '../../src/config/docs.js';

describe('STYLE §8: the configuration reference is generated from the schema (config.docs-in-sync)', () => {
  it('docs/configuration.md equals the generated reference (run `npm run docs:config`)', () => {
    assert.equal(readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8'), configurationReference());
  });
});
