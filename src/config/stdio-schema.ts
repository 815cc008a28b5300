import { z } from 'zod';

/** a secret for the child's environment: read from the gateway's env or from a file, never written in the config */
const secretSource = z.union([
  z.object({ env: z.string().min(1).describe('Name of the gateway env variable holding the value') }).strict(),
  z.object({ file: z.string().min(1).describe('Path of a file holding the value (trailing newline dropped)') }).strict(),
]);

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `resources[].upstream_stdio` (issue 7 item 1): a stdio MCP server run by the gateway, one child process per
 * user (or per legacy session). Its own file to keep schema.ts short; part of the one schema.
 */
export const upstreamStdio = z
  .object({
    command: z.string().min(1).describe('Program to run (looked up on PATH); no shell is involved'),
    args: z.array(z.string()).default([]).describe('Its arguments'),
    cwd: z.string().optional().describe('Working directory of the child (default: the gateway’s)'),
    env: z
      .record(z.string().regex(envName), z.string())
      .default({})
      .describe('Plain environment variables for the child (no secrets: use env_from). The child never inherits the gateway’s environment, only PATH, HOME, LANG, LC_ALL, TZ, TMPDIR and these'),
    env_from: z
      .record(z.string().regex(envName), secretSource)
      .default({})
      .describe('Child env variable → {env: NAME} or {file: path}: secrets read at start from the gateway’s env or a file'),
    per: z
      .enum(['user', 'session'])
      .default('user')
      .describe('user: one child per token subject (`sub`), shared by that user’s clients; session: one child per legacy Mcp-Session-Id (its initialize starts it)'),
    idle_timeout_s: z.coerce.number().int().min(1).max(86400).default(300).describe('A child with no request in flight and no open stream for this long is stopped'),
    max_children: z.coerce.number().int().min(1).max(10000).default(50).describe('Most children of this resource at once (per instance); beyond it the oldest idle one is stopped, else 503'),
    call_timeout_s: z.coerce.number().int().min(1).max(86400).default(300).describe('A request the child has not answered in this long is cancelled and answered with a JSON-RPC error'),
  })
  .strict();
