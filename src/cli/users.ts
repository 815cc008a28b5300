import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import type { Config } from '../config/schema.js';
import { hashPassword } from '../as/passwords.js';
import { ScopeModel } from '../rs/scopes.js';
import { StoreConflictError, type Store, type UserRecord } from '../store/types.js';
import { UsageError } from './main.js';
import { openConfiguredStore, STORE_OPTIONS } from './open-store.js';

const USAGE = 'usage: portcullis users add NAME [--role ROLE]... | roles NAME [--role ROLE]... | disable NAME | enable NAME | list';

export async function usersCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || !['add', 'roles', 'disable', 'enable', 'list'].includes(sub)) throw new UsageError(USAGE);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { role: { type: 'string', multiple: true }, ...STORE_OPTIONS }, allowPositionals: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const name = parsed.positionals[0];
  if (sub === 'list' ? parsed.positionals.length > 0 : !name || parsed.positionals.length > 1) throw new UsageError(USAGE);
  if (name !== undefined && !/^[A-Za-z0-9._@-]{1,64}$/.test(name)) throw new UsageError('NAME may use letters, digits and . _ @ - (1–64 characters)');
  const roles = parsed.values.role ?? [];
  const password = sub === 'add' ? await readPassword() : '';
  if (sub === 'add' && password.length < 8) {
    console.error('portcullis: the password must have at least 8 characters');
    return 1;
  }
  const { config, store } = await openConfiguredStore(parsed.values);
  try {
    if (sub !== 'add' && sub !== 'list' && config.roles) {
      const unknown = roles.filter((r) => !Object.hasOwn(config.roles!, r));
      if (unknown.length) throw new UsageError(`unknown role(s): ${unknown.join(', ')} (configured: ${Object.keys(config.roles).join(', ')})`);
    }
    switch (sub) {
      case 'add':
        return await add(store, name!, password, roles);
      case 'list':
        for (const u of await store.listUsers()) console.log(`${u.username}\t${u.disabled ? 'disabled' : 'active'}\t${u.roles.join(',') || '-'}`);
        return 0;
      default: {
        const user = await store.getUserByName(name!);
        if (!user) {
          console.error(`portcullis: no user "${name}"`);
          return 1;
        }
        if (sub === 'roles') return await setRoles(store, config, user, roles);
        return await setDisabled(store, user, sub === 'disable');
      }
    }
  } finally {
    await store.close();
  }
}

async function add(store: Store, name: string, password: string, roles: string[]): Promise<number> {
  try {
    await store.createUser({ id: randomUUID(), username: name, password_hash: await hashPassword(password), roles, disabled: false, created_at: Date.now() });
  } catch (e) {
    if (e instanceof StoreConflictError) {
      console.error(`portcullis: user "${name}" already exists`);
      return 1;
    }
    throw e;
  }
  console.log(`added user ${name}${roles.length ? ` with roles ${roles.join(', ')}` : ''}`);
  return 0;
}

/**
 * Issue 3: taking a role away narrows the grants already issued at once — every live grant of the user holding
 * a scope the new roles no longer permit is revoked (the gateway refuses its tokens within ~1 s); the client
 * re-authorizes for what is still allowed.
 */
async function setRoles(store: Store, config: Config, user: UserRecord, roles: string[]): Promise<number> {
  await store.updateUserRoles(user.id, roles);
  let revoked = 0;
  if (config.roles) {
    const implies: Record<string, string[]> = {};
    for (const r of config.resources) for (const [k, v] of Object.entries(r.scope_implies)) implies[k] = [...(implies[k] ?? []), ...v];
    const permitted = new ScopeModel(implies).expand(roles.flatMap((r) => config.roles![r] ?? []));
    const now = Date.now();
    for (const g of await store.listGrants({ user_id: user.id })) {
      if (g.revoked_at !== null || g.scope.every((s) => s === 'offline_access' || permitted.has(s))) continue;
      await store.revokeGrant(g.id, now, 'role removed');
      revoked++;
    }
  }
  console.log(`${user.username}: roles ${roles.join(', ') || '(none)'}; ${revoked} grant(s) revoked`);
  return 0;
}

/** Disabling a user revokes every grant they hold at once; enabling does not bring grants back. */
async function setDisabled(store: Store, user: UserRecord, disabled: boolean): Promise<number> {
  await store.setUserDisabled(user.id, disabled);
  const ids = disabled ? await store.revokeGrantsForUser(user.id, Date.now(), 'user disabled') : [];
  console.log(`${user.username}: ${disabled ? 'disabled' : 'enabled'}${disabled ? `; ${ids.length} grant(s) revoked` : ''}`);
  return 0;
}

/** Password from stdin when piped (first line), else a prompt that does not echo. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  const muted = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
  process.stdout.write('Password: ');
  muted._writeToOutput = () => undefined;
  const answer = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stdout.write('\n');
  return answer;
}
