/**
 * `portcullis check <url> [--json] [--html FILE] [--client-id URL|ID] [--client-secret S] [--redirect-uri URI]
 * [--timeout MS] [--login [--open] [--refresh-grace-wait S] [--step-up-tool NAME] [--other-resource URL]]`.
 * Exit 1 on any fail, 0 otherwise, 2 on a usage error.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { htmlReport } from './report/html.js';
import { textReport } from './report/text.js';
import { isLoopbackHttp } from './observe/callback.js';
import { runChecker } from './run.js';

export const CHECK_USAGE = `Usage: portcullis check <mcp-url> [--json] [--html FILE] [--client-id URL|ID]
                        [--client-secret S] [--redirect-uri URI] [--timeout MS]
                        [--login [--open] [--scope S] [--refresh-grace-wait S] [--step-up-tool NAME] [--other-resource URL]]

Black-box conformance report on an MCP server's authorization (and its authorization server).
Without --client-id only passive checks run; with it, the authorization endpoint is probed too.
--login runs a real authorization-code + PKCE flow: it prints the authorization URL (--open also launches
the browser) and receives the code on a loopback redirect (http://127.0.0.1:PORT/callback, or --redirect-uri).
It acts as --client-id (a CIMD URL or a pre-registered client), else registers one by DCR when offered.
  --refresh-grace-wait S   wait S seconds before reusing a rotated refresh token (past the AS's retry grace;
                           e.g. 11 for Portcullis's 10 s; without it a same-pair replay passes with a note)
  --scope S                request S instead of the 401 challenge's scope (narrow it to exercise step-up)
  --step-up-tool NAME      call this tool (empty arguments) to check 403 insufficient_scope, then step up
  --other-resource URL     a second resource of the same AS: its token must be refused by <mcp-url>
Exit code: 1 if any check fails, 0 otherwise, 2 on a usage error.`;

export async function checkCommand(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        html: { type: 'string' },
        login: { type: 'boolean' },
        'client-id': { type: 'string' },
        'client-secret': { type: 'string' },
        'redirect-uri': { type: 'string' },
        timeout: { type: 'string' },
        open: { type: 'boolean' },
        'refresh-grace-wait': { type: 'string' },
        'step-up-tool': { type: 'string' },
        'other-resource': { type: 'string' },
        scope: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    err(`portcullis check: ${e instanceof Error ? e.message : String(e)}\n\n${CHECK_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(`${CHECK_USAGE}\n`);
    return 0;
  }
  const target = positionals[0];
  const timeout = values.timeout === undefined ? 10_000 : Number(values.timeout);
  const graceWait = values['refresh-grace-wait'] === undefined ? undefined : Number(values['refresh-grace-wait']);
  const loginOnly = ['open', 'refresh-grace-wait', 'step-up-tool', 'other-resource', 'scope'].find((k) => values[k as keyof typeof values] !== undefined);
  const problem =
    positionals.length !== 1 ? 'exactly one MCP URL is required'
    : !URL.canParse(target!) || !/^https?:$/.test(new URL(target!).protocol) ? `not an http(s) URL: ${target}`
    : !Number.isInteger(timeout) || timeout <= 0 ? `--timeout must be a positive integer (ms), got ${values.timeout}`
    : loginOnly && !values.login ? `--${loginOnly} needs --login`
    : graceWait !== undefined && !(Number.isFinite(graceWait) && graceWait > 0 && graceWait <= 120) ? `--refresh-grace-wait must be seconds in (0, 120], got ${values['refresh-grace-wait']}`
    : values['other-resource'] !== undefined && !URL.canParse(values['other-resource']) ? `--other-resource is not a URL: ${values['other-resource']}`
    : values.login && values['redirect-uri'] !== undefined && !isLoopbackHttp(values['redirect-uri']) ? '--login receives the code on a loopback redirect: --redirect-uri must be http://127.0.0.1:PORT/path'
    : undefined;
  if (problem) {
    err(`portcullis check: ${problem}\n\n${CHECK_USAGE}\n`);
    return 2;
  }
  const report = await runChecker(target!, {
    timeoutMs: timeout,
    progress: (line) => err(`${line}\n`),
    ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
    ...(values['client-secret'] ? { clientSecret: values['client-secret'] } : {}),
    ...(values['redirect-uri'] ? { redirectUri: values['redirect-uri'] } : {}),
    ...(values.login ? { login: true } : {}),
    ...(values.open ? { open: true } : {}),
    ...(graceWait !== undefined ? { refreshGraceWaitMs: Math.round(graceWait * 1000) } : {}),
    ...(values['step-up-tool'] ? { stepUpTool: values['step-up-tool'] } : {}),
    ...(values['other-resource'] ? { otherResource: values['other-resource'] } : {}),
    ...(values.scope ? { scope: values.scope } : {}),
  });
  if (values.html) {
    writeFileSync(values.html, htmlReport(report));
    err(`HTML report written to ${values.html}\n`);
  }
  out(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${textReport(report)}\n`);
  return report.summary.fail > 0 ? 1 : 0;
}
