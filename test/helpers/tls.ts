import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  /** the CA certificate, to pass as `ca` (or NODE_EXTRA_CA_CERTS) */
  caPem: string;
  /** the server's private key */
  keyPem: string;
  /** the server's certificate, signed by the CA, valid for every name in `hostnames` */
  certPem: string;
}

/**
 * A throw-away CA and one server certificate for `hostnames` (DNS names and IP literals), made with the
 * `openssl` CLI in a temp dir that is removed afterwards. P-256 keys: fast to generate.
 */
export function makeTestCa(hostnames: string[]): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-ca-'));
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  try {
    const san = hostnames
      .map((h) => (isIP(h.replace(/^\[|\]$/g, '')) ? `IP:${h.replace(/^\[|\]$/g, '')}` : `DNS:${h}`))
      .join(',');
    writeFileSync(
      join(dir, 'leaf.ext'),
      [
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=serverAuth',
        `subjectAltName=${san}`,
        '',
      ].join('\n'),
    );
    run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'ca.key');
    run(
      'req', '-x509', '-new', '-key', 'ca.key', '-sha256', '-days', '2', '-subj', '/CN=Portcullis Test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-out', 'ca.pem',
    );
    run('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'leaf.key');
    run('req', '-new', '-key', 'leaf.key', '-subj', `/CN=${hostnames[0] ?? 'localhost'}`, '-out', 'leaf.csr');
    run(
      'x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-sha256',
      '-days', '2', '-extfile', 'leaf.ext', '-out', 'leaf.pem',
    );
    return {
      caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
      keyPem: readFileSync(join(dir, 'leaf.key'), 'utf8'),
      certPem: readFileSync(join(dir, 'leaf.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
