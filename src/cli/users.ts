import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { loadConfig } from '../config/load.js';
import { hashPassword } from '../as/passwords.js';
import { openStore } from '../store/open.js';
import { StoreConflictError } from '../store/types.js';
import { UsageError } from './main.js';

export async function usersCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'add') throw new UsageError('usage: portcullis users add NAME [--role ROLE]...');
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { role: { type: 'string', multiple: true }, config: { type: 'string' }, 'data-dir': { type: 'string' }, store: { type: 'string' } },
      allowPositionals: true,
    });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const name = parsed.positionals[0];
  if (!name || parsed.positionals.length > 1) throw new UsageError('users add takes exactly one NAME');
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) throw new UsageError('NAME may use letters, digits and . _ @ - (1–64 characters)');
  const flags: Record<string, unknown> = {};
  if (parsed.values['data-dir']) flags.data_dir = parsed.values['data-dir'];
  if (parsed.values.store) flags.store = parsed.values.store;
  const { config } = loadConfig({ file: parsed.values.config, flags });

  const password = await readPassword();
  if (password.length < 8) {
    console.error('portcullis: the password must have at least 8 characters');
    return 1;
  }
  const store = await openStore(config.store ?? `sqlite:${join(config.data_dir, 'portcullis.db')}`);
  try {
    await store.migrate();
    await store.createUser({ id: randomUUID(), username: name, password_hash: await hashPassword(password), roles: parsed.values.role ?? [], disabled: false, created_at: Date.now() });
  } catch (e) {
    if (e instanceof StoreConflictError) {
      console.error(`portcullis: user "${name}" already exists`);
      return 1;
    }
    throw e;
  } finally {
    await store.close();
  }
  console.log(`added user ${name}${parsed.values.role?.length ? ` with roles ${parsed.values.role.join(', ')}` : ''}`);
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
