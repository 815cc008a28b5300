type Argon2 = typeof import('@node-rs/argon2');

// issue 9: the native argon2 module is loaded at the first password operation, not at start-up
let argon2: Promise<Argon2> | null = null;
const lib = (): Promise<Argon2> => (argon2 ??= import('@node-rs/argon2'));

/** argon2id with OWASP-recommended parameters (19 MiB, t=2, p=1). */
const options = (a: Argon2) => ({ algorithm: a.Algorithm.Argon2id, memoryCost: 19456, timeCost: 2, parallelism: 1 }) as const;

export const hashPassword = async (password: string): Promise<string> => {
  const a = await lib();
  return a.hash(password, options(a));
};

let dummy: Promise<string> | null = null;

/**
 * Verifies; for unknown users pass null and a dummy hash is checked so timing does not reveal who exists.
 * issue 4: users federated from an IdP (upstream OIDC, ID-JAG provisioning) have password_hash '' — no local
 * password, ever: refused the same way, after the same work.
 */
export async function verifyPassword(stored: string | null, password: string): Promise<boolean> {
  if (stored === null || stored === '') {
    dummy ??= hashPassword('portcullis-timing-equaliser');
    const a = await lib();
    await a.verify(await dummy, password).catch(() => false);
    return false;
  }
  try {
    return await (await lib()).verify(stored, password);
  } catch {
    return false;
  }
}
