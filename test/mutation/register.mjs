// Mutation run only (scripts/mutation-run.mjs): `node --import tsx --import ./test/mutation/register.mjs …`.
// Redirects every import of src/core/controls.ts to test/mutation/controls.ts, whose switches read
// PORTCULLIS_MUTATE. Without this hook (npm test, production) the constant module is loaded.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
