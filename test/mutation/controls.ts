/**
 * The mutation-run replacement for src/core/controls.ts (issue 10 item 4). Loaded only through
 * test/mutation/register.mjs; never part of a build. PORTCULLIS_MUTATE names the control(s) to disable
 * (comma-separated).
 */
import type { ControlName } from '../../src/core/controls.js';

export type { ControlName };

const disabled = new Set((process.env.PORTCULLIS_MUTATE ?? '').split(',').map((s) => s.trim()).filter(Boolean));

export function controlDisabled(name: ControlName): boolean {
  return disabled.has(name);
}
