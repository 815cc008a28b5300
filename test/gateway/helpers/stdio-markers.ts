/** What the stdio fixture prints outside JSON-RPC, so that tests can look for it (and not find it on the wire). */
export const STDERR_MARKER = 'FIXTURE-STDERR-MARKER';
export const STDOUT_NOISE = 'FIXTURE-STDOUT-NOISE server starting';
