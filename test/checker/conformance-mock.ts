import { spawn, type ChildProcess } from 'node:child_process';

export interface MockScenario {
  url: string;
  stop(): Promise<void>;
}

const PKG = '@modelcontextprotocol/conformance@0.2.0-alpha.12';

/**
 * Starts one client scenario of the official conformance suite in interactive mode (its mock RS + AS stay up
 * and print `Server URL: …`). Resolves undefined, with the reason, when npx / Node 22 cannot run it in time.
 */
export async function startMockScenario(scenario: string, readyMs = 120_000): Promise<MockScenario | string> {
  let proc: ChildProcess;
  try {
    // its own process group, so SIGINT reaches npx and the node it runs
    proc = spawn('npx', ['-y', '-p', 'node@22', '-p', PKG, '--', 'conformance', 'client', '--scenario', scenario], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    return `npx unavailable: ${String(e)}`;
  }
  let out = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  proc.once('error', () => undefined);
  const signal = (sig: NodeJS.Signals): void => {
    try {
      if (proc.pid !== undefined) process.kill(-proc.pid, sig);
    } catch {
      // already gone
    }
  };
  const stop = async (): Promise<void> => {
    signal('SIGINT');
    const t = setTimeout(() => signal('SIGKILL'), 5_000);
    await exited;
    clearTimeout(t);
  };
  const url = await new Promise<string | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), readyMs);
    const look = (): void => {
      const m = /Server URL: (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    proc.stdout!.on('data', look);
    void exited.then(() => {
      clearTimeout(timer);
      resolve(undefined);
    });
  });
  if (!url) {
    await stop();
    return `conformance mock for ${scenario} did not start within ${readyMs} ms (npx, network or Node 22 unavailable?)\n${out}\n${err.slice(-2000)}`;
  }
  return { url, stop };
}
