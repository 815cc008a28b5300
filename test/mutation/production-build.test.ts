/**
 * Issue 10 item 4: the control switches exist only in the mutation run, never in a production build. The shipped
 * module (src/core/controls.ts → dist/core/controls.js) answers the constant `false` and reads nothing: no
 * environment, no configuration, no request. The replacement that reads PORTCULLIS_MUTATE lives under test/ and is
 * reachable only through the loader hook test/mutation/register.mjs.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from '../helpers/portcullis-process.js';
import { controlDisabled } from '../../src/core/controls.js';

const SOURCE = join(REPO_ROOT, 'src', 'core', 'controls.ts');
const BUILT = join(REPO_ROOT, 'dist', 'core', 'controls.js');
const READS = /process|env|PORTCULLIS_MUTATE|require\(|import\(|globalThis|readFile/;

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p, ext) : ext.test(n) ? [p] : [];
  });
}

/** the code of a module without its comments */
const code = (text: string): string => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');

describe('the control switches are constant in production (sec.controls-constant)', () => {
  it('src/core/controls.ts reads no environment and answers false (sec.controls-constant)', () => {
    assert.doesNotMatch(code(readFileSync(SOURCE, 'utf8')), READS);
    assert.equal(controlDisabled('rs.signature'), false);
    assert.equal(controlDisabled('gw.token-strip'), false);
  });

  it('what the build emits for it reads no environment either (sec.controls-constant)', () => {
    const out = ts.transpileModule(readFileSync(SOURCE, 'utf8'), { compilerOptions: { module: ts.ModuleKind.NodeNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    assert.doesNotMatch(code(out), READS);
    assert.match(out, /return false;/);
  });

  it('dist/core/controls.js (when built) is the constant module, and no dist file knows PORTCULLIS_MUTATE (sec.controls-constant)', (t) => {
    if (!existsSync(BUILT)) return t.skip('dist/ not built (npm test builds it first)');
    assert.doesNotMatch(code(readFileSync(BUILT, 'utf8')), READS);
    for (const f of files(join(REPO_ROOT, 'dist'), /\.js$/)) assert.doesNotMatch(readFileSync(f, 'utf8'), /PORTCULLIS_MUTATE|test\/mutation/, f);
  });

  it('the build includes src only, and nothing in src imports the mutation module (sec.controls-constant)', () => {
    const build = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
    assert.deepEqual(build.include, ['src']);
    for (const f of files(join(REPO_ROOT, 'src'), /\.ts$/)) assert.doesNotMatch(code(readFileSync(f, 'utf8')), /test\/mutation|PORTCULLIS_MUTATE/, f);
  });
});
