/**
 * `portcullis` run from the TypeScript sources (node --import tsx), for tests that need a real server process
 * with its own environment (NODE_EXTRA_CA_CERTS is read only at process start) without depending on dist/.
 */
import { main } from '../../../src/cli/main.js';

main(process.argv.slice(2)).then(
  (code) => {
    if (typeof code === 'number') process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`portcullis: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
