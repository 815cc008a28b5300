import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpsStatic, type HttpsStaticServer } from './https-static.js';
import { makeTestCa, type TestCa } from './tls.js';

export interface E2eEnv {
  /** a fresh temp dir for this test file (data dirs, the CA file) */
  dir: string;
  ca: TestCa;
  /** the CA certificate as a file, for NODE_EXTRA_CA_CERTS */
  caFile: string;
  /** loopback https server with a certificate for localhost, 127.0.0.1 and ::1 from `ca` */
  https: HttpsStaticServer;
  /** a new empty directory under `dir` */
  newDir(name: string): string;
  cleanup(): Promise<void>;
}

/** The pieces every e2e file needs: a temp dir, a test CA and a loopback https server to publish CIMD documents. */
export async function setupE2eEnv(): Promise<E2eEnv> {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-e2e-'));
  try {
    const ca = makeTestCa(['localhost', '127.0.0.1', '::1']);
    const caFile = join(dir, 'test-ca.pem');
    writeFileSync(caFile, ca.caPem);
    const https = await startHttpsStatic(ca);
    return {
      dir,
      ca,
      caFile,
      https,
      newDir: (name) => {
        const d = join(dir, name);
        mkdirSync(d, { recursive: true });
        return d;
      },
      cleanup: async () => {
        await https.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}
