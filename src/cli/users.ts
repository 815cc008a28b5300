import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import type { Config } from '../config/schema.js';
import { createUser, MIN_PASSWORD, setUserDisabled, setUserRoles, unknownRoles, USERNAME } from '../admin/users.js';
import type { Store, UserRecord } from '../store/types.js';
import { UsageError } from './main.js';
import { openConfiguredStore, STORE_OPTIONS } from './open-store.js';
import { remoteUsers } from './remote-commands.js';
import { remoteFrom, REMOTE_OPTIONS } from './remote.js';

const USAGE = 'usage: portcullis users add NAME [--role ROLE]... | roles NAME [--role ROLE]... | disable NAME | enable NAME | list  [--remote URL [--token-file FILE]]';

export async function usersCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || !['add', 'roles', 'disable', 'enable', 'list'].includes(sub)) throw new UsageError(USAGE);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { role: { type: 'string', multiple: true }, ...STORE_OPTIONS, ...REMOTE_OPTIONS }, allowPositionals: true });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const name = parsed.positionals[0];
  if (sub === 'list' ? parsed.positionals.length > 0 : !name || parsed.positionals.length > 1) throw new UsageError(USAGE);
  if (name !== undefined && !USERNAME.test(name)) throw new UsageError('NAME may use letters, digits and . _ @ - (1–64 characters)');
  const roles = parsed.values.role ?? [];
  const remote = remoteFrom(parsed.values);
  const password = sub === 'add' ? await readPassword() : '';
  if (sub === 'add' && password.length < MIN_PASSWORD) {
    console.error('portcullis: the password must have at least 8 characters');
    return 1;
  }
  if (remote) return remoteUsers(remote, sub, name, roles, password);
  const { config, store } = await openConfiguredStore(parsed.values);
  try {
    if (sub !== 'add' && sub !== 'list' && config.roles) {
      const unknown = unknownRoles(config, roles);
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
  if ((await createUser(store, { username: name, password, roles }, Date.now())) === 'exists') {
    console.error(`portcullis: user "${name}" already exists`);
    return 1;
  }
  console.log(`added user ${name}${roles.length ? ` with roles ${roles.join(', ')}` : ''}`);
  return 0;
}

async function setRoles(store: Store, config: Config, user: UserRecord, roles: string[]): Promise<number> {
  const revoked = await setUserRoles(store, config, user, roles, Date.now());
  console.log(`${user.username}: roles ${roles.join(', ') || '(none)'}; ${revoked.length} grant(s) revoked`);
  return 0;
}

async function setDisabled(store: Store, user: UserRecord, disabled: boolean): Promise<number> {
  const ids = await setUserDisabled(store, user, disabled, Date.now());
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
