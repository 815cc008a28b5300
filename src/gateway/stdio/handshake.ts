import type { JsonRpcMessage } from './child.js';
import { LEGACY_VERSIONS } from './era.js';

/**
 * The `initialize` handshake a legacy (≤ 2025-11-25) stdio server needs before anything else, for one slot. A
 * client's own initialize is forwarded and, once answered, remembered; when the child was restarted (crash, idle
 * stop) the last one is replayed before the next request, or, for a legacy client whose initialize the gateway
 * never saw, one is made with the client's MCP-Protocol-Version. A 2026-07-28 request needs none (stateless).
 */
export class LegacyHandshake {
  /** the current child has had its handshake (or is modern: never needs one) */
  #done = false;
  #running: Promise<void> | null = null;
  #last: JsonRpcMessage | null = null;

  /** a replay is under way: the slot is not idle */
  get running(): boolean {
    return this.#running !== null;
  }

  /** the child started or went away: the next one has had no handshake */
  reset(): void {
    this.#done = false;
  }

  /** the client's own initialize was answered */
  answered(params: unknown): void {
    this.#last = { jsonrpc: '2.0', method: 'initialize', params };
    this.#done = true;
  }

  /** Before a request other than initialize; `replay` sends `init` to the child and calls `done` once it is accepted. */
  async ensure(protocolVersion: string | null, replay: (init: JsonRpcMessage, done: () => void) => Promise<void>): Promise<void> {
    if (this.#done) return;
    let init = this.#last;
    if (!init && protocolVersion !== null && LEGACY_VERSIONS.has(protocolVersion)) {
      init = { jsonrpc: '2.0', method: 'initialize', params: { protocolVersion, capabilities: {}, clientInfo: { name: 'portcullis-gateway', version: '1' } } };
    }
    if (!init) return;
    this.#running ??= replay(init, () => (this.#done = true)).finally(() => (this.#running = null));
    await this.#running;
  }
}
