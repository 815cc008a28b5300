import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  AuditLog,
  defaultCheckpointFile,
  deriveAuditKeys,
  exportAudit,
  queryAudit,
  readCheckpointFile,
  tailAudit,
  verifyAudit,
  type AuditEntry,
  type AuditKeys,
  type AuditQuery,
} from '../audit/index.js';
import { parseTime } from '../audit/query.js';
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../core/errors.js';
import { loadMasterSecret } from '../core/secret.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/types.js';
import { UsageError } from './main.js';

export const AUDIT_USAGE = `portcullis audit tail [-n N] [--follow] [--json]
  portcullis audit query [--user U] [--client C] [--type T]... [--since TIME] [--until TIME] [--limit N] [--after SEQ] [--json]
  portcullis audit export [--user U] [--client C] [--type T]... [--since TIME] [--until TIME] > audit.jsonl
  portcullis audit verify [--checkpoints FILE] [--json]
  portcullis audit checkpoint [--checkpoints FILE]
    each also takes --config FILE, --data-dir DIR, --store URL; TIME is ISO 8601 or 15m, 2h, 7d;
    --type takes a type (token.issued) or a prefix (token.*); verify exits 1 on tampering`;

const OPTIONS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  store: { type: 'string' },
  checkpoints: { type: 'string' },
  lines: { type: 'string', short: 'n' },
  follow: { type: 'boolean', short: 'f' },
  user: { type: 'string' },
  client: { type: 'string' },
  type: { type: 'string', multiple: true },
  since: { type: 'string' },
  until: { type: 'string' },
  limit: { type: 'string' },
  after: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Flags = ReturnType<typeof parse>['values'];

function parse(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export async function auditCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || !['tail', 'query', 'export', 'verify', 'checkpoint'].includes(sub)) throw new UsageError(`usage: ${AUDIT_USAGE}`);
  const flags = parse(rest).values;
  const configFlags: Record<string, unknown> = {};
  if (flags['data-dir']) configFlags.data_dir = flags['data-dir'];
  if (flags.store) configFlags.store = flags.store;
  const { config } = loadConfig({ file: flags.config, flags: configFlags });
  const checkpointFile = flags.checkpoints ? resolve(flags.checkpoints) : defaultCheckpointFile(config.data_dir);
  // validate every flag before opening anything
  const query = toQuery(flags);
  const count = (name: 'lines' | 'limit' | 'after', fallback: number) => positive(flags[name], `--${name === 'lines' ? 'n' : name}`, fallback);
  const keys = sub === 'verify' || sub === 'checkpoint' ? auditKeys(config.data_dir) : null;

  const store = await openStore(config.store ?? `sqlite:${join(config.data_dir, 'portcullis.db')}`);
  try {
    await store.migrate();
    switch (sub) {
      case 'tail':
        return await tail(store, count('lines', 20), Boolean(flags.follow), query, Boolean(flags.json));
      case 'query': {
        const page = await queryAudit(store, { ...query, limit: count('limit', 100), after: count('after', 0) });
        for (const e of page.entries) console.log(format(e, Boolean(flags.json)));
        if (page.next !== null && !flags.json) console.error(`more: --after ${page.next}`);
        return 0;
      }
      case 'export':
        for await (const line of exportAudit(store, query)) {
          if (!process.stdout.write(line)) await once(process.stdout, 'drain');
        }
        return 0;
      case 'verify':
        return await verify(store, keys!, checkpointFile, Boolean(flags.json));
      default: {
        const log = new AuditLog({ store, keys: keys!, checkpointFile, checkpointIntervalMs: 0 });
        const c = await log.checkpoint();
        await log.close();
        console.log(c ? `checkpoint of seq ${c.seq} written to ${checkpointFile} and the store` : 'the audit log is empty: nothing to checkpoint');
        return 0;
      }
    }
  } finally {
    await store.close();
  }
}

/** the audit keys derive from the master secret, read as `serve` reads it; never generate one here */
function auditKeys(dataDir: string): AuditKeys {
  const env = process.env;
  if (!env.PORTCULLIS_SECRET && !env.PORTCULLIS_SECRET_FILE && !existsSync(join(dataDir, 'secret'))) {
    throw new ConfigError('PORTCULLIS_SECRET', `no master secret (set PORTCULLIS_SECRET or PORTCULLIS_SECRET_FILE as for serve, or use the --data-dir holding the generated one)`);
  }
  return deriveAuditKeys(loadMasterSecret(dataDir, env).key);
}

function toQuery(flags: Flags): AuditQuery {
  const now = Date.now();
  const time = (name: 'since' | 'until') => {
    const v = flags[name];
    if (v === undefined) return undefined;
    const t = parseTime(v, now);
    if (t === null) throw new UsageError(`--${name}: expected an ISO 8601 time or a duration like 15m, 2h, 7d`);
    return t;
  };
  const q: AuditQuery = {};
  if (flags.user !== undefined) q.user_id = flags.user;
  if (flags.client !== undefined) q.client_id = flags.client;
  if (flags.type?.length) q.types = flags.type.flatMap((t) => t.split(',')).filter(Boolean);
  const since = time('since');
  const until = time('until');
  if (since !== undefined) q.since = since;
  if (until !== undefined) q.until = until;
  return q;
}

function positive(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value)) throw new UsageError(`${name} takes a whole number`);
  return Number(value);
}

function format(e: AuditEntry, json: boolean): string {
  if (json) return JSON.stringify(e);
  const who = [e.user_id && `user=${e.user_id}`, e.client_id && `client=${e.client_id}`, e.subject && `subject=${e.subject}`];
  return [String(e.seq).padStart(6), new Date(e.time).toISOString(), e.type.padEnd(20), ...who.filter(Boolean), JSON.stringify(e.data)].join('  ');
}

async function tail(store: Store, n: number, follow: boolean, q: AuditQuery, json: boolean): Promise<number> {
  let last = 0;
  for (const e of await tailAudit(store, n, q)) {
    console.log(format(e, json));
    last = e.seq;
  }
  if (!follow) return 0;
  if (last === 0) last = (await store.getAuditHead())?.seq ?? 0;
  let stop = false;
  const interrupt = () => (stop = true);
  process.once('SIGINT', interrupt).once('SIGTERM', interrupt);
  while (!stop) {
    await new Promise((r) => setTimeout(r, 1000));
    for (;;) {
      const page = await queryAudit(store, { ...q, after: last, limit: 1000 });
      for (const e of page.entries) {
        console.log(format(e, json));
        last = e.seq;
      }
      if (page.next === null) break;
    }
  }
  return 0;
}

async function verify(store: Store, keys: AuditKeys, checkpointFile: string, json: boolean): Promise<number> {
  const report = await verifyAudit({ store, keys, file: readCheckpointFile(checkpointFile), fileName: checkpointFile });
  if (json) {
    console.log(JSON.stringify(report, null, 2));
  } else {
    for (const w of report.warnings) console.error(`portcullis: warning: ${w}`);
    const cp = report.checkpoint ? `, latest checkpoint seq ${report.checkpoint.seq} (${new Date(report.checkpoint.time).toISOString()})` : '';
    if (report.ok) console.log(`audit log verified: ${report.entries} entries, last seq ${report.last_seq}${cp}`);
    else {
      console.log(`audit log TAMPERED: ${report.problems.length} problem(s) in ${report.entries} entries`);
      for (const p of report.problems) console.log(`  seq ${p.seq}: ${p.kind}: ${p.message}`);
    }
  }
  return report.ok ? 0 : 1;
}
