/**
 * `portcullis check <url> [--json] [--html FILE] [--login] [--client-id URL|ID] [--client-secret S]
 * [--redirect-uri URI] [--timeout MS]`. Exit 1 on any fail, 0 otherwise, 2 on a usage error.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { htmlReport } from './report/html.js';
import { textReport } from './report/text.js';
import { runChecker } from './run.js';

export const CHECK_USAGE = `Usage: portcullis check <mcp-url> [--json] [--html FILE] [--login] [--client-id URL|ID]
                        [--client-secret S] [--redirect-uri URI] [--timeout MS]

Black-box conformance report on an MCP server's authorization (and its authorization server).
Without --client-id only passive checks run; with it, the authorization endpoint is probed too.
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
  const problem =
    positionals.length !== 1 ? 'exactly one MCP URL is required'
    : !URL.canParse(target!) || !/^https?:$/.test(new URL(target!).protocol) ? `not an http(s) URL: ${target}`
    : !Number.isInteger(timeout) || timeout <= 0 ? `--timeout must be a positive integer (ms), got ${values.timeout}`
    : values.login ? '--login is not implemented yet'
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
  });
  if (values.html) {
    writeFileSync(values.html, htmlReport(report));
    err(`HTML report written to ${values.html}\n`);
  }
  out(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${textReport(report)}\n`);
  return report.summary.fail > 0 ? 1 : 0;
}
