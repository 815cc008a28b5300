import type { AsContext } from '../../as/context.js';
import type { Params } from '../../as/params.js';
import type { AdminDeps } from '../api/router.js';
import type { ConsoleAccess } from './auth.js';
import type { Section } from './layout.js';

/** one authenticated console request (an administrator's) */
export interface ConsoleCall {
  ctx: AsContext;
  deps: AdminDeps;
  req: Request;
  url: URL;
  /** the console base path, e.g. `/admin` */
  base: string;
  access: Extract<ConsoleAccess, { kind: 'admin' }>;
}

export interface ConsoleView {
  title: string;
  section: Section;
  body: string;
  status?: number;
  /** an error to show above the body (bad filter input and the like), from a fixed table or our own text */
  error?: string;
}

export type PageHandler = (c: ConsoleCall) => Promise<ConsoleView>;

/** where to go after an action (303, post/redirect/get), with a notice key from NOTICES */
export interface ActionResult {
  to: string;
  notice: NoticeKey;
}
export type ActionHandler = (c: ConsoleCall, form: Params) => Promise<ActionResult>;

/** every message an action can leave for the next page; the query names a key, never carries text */
export const NOTICES = {
  'client-approved': { kind: 'notice', text: 'Client approved: it can connect with the document version you reviewed.' },
  'client-denied': { kind: 'notice', text: 'Client denied: its grants were revoked and it can no longer connect.' },
  'client-unchanged': { kind: 'notice', text: 'Document fetched again: unchanged since the last look.' },
  'client-changed': { kind: 'notice', text: 'Document fetched again: it changed and now awaits review.' },
  'client-refetch-failed': { kind: 'error', text: 'The document could not be fetched again (see the audit log for the reason).' },
  'client-not-seen': { kind: 'error', text: 'This client has not tried to connect yet, so there is no document to approve.' },
  'client-conflict': { kind: 'error', text: 'The document changed while you were looking: review it again.' },
  'client-not-reviewable': { kind: 'error', text: 'Only client metadata documents (https client_id URLs) can be fetched again.' },
  'grant-revoked': { kind: 'notice', text: 'Grant revoked: its tokens are refused from now on.' },
  'grant-already-revoked': { kind: 'notice', text: 'That grant was already revoked.' },
  'grant-not-found': { kind: 'error', text: 'No such grant.' },
  'user-roles': { kind: 'notice', text: 'Roles saved; grants beyond the new roles were revoked.' },
  'user-disabled': { kind: 'notice', text: 'User disabled: every grant they held was revoked.' },
  'user-enabled': { kind: 'notice', text: 'User enabled (revoked grants stay revoked).' },
  'user-not-found': { kind: 'error', text: 'No such user.' },
  'user-created': { kind: 'notice', text: 'User added: they can sign in with the password you set.' },
  'user-exists': { kind: 'error', text: 'That username is taken; nothing was changed.' },
  'user-bad-name': { kind: 'error', text: 'Usernames are 1 to 64 letters, digits and . _ @ -; nothing was changed.' },
  'user-bad-password': { kind: 'error', text: 'The password is too short; nothing was changed.' },
  'user-bad-role': { kind: 'error', text: 'Unknown role: choose from the roles in the configuration.' },
  'user-self': { kind: 'error', text: 'You cannot disable yourself or take away your own admin role here.' },
  'keys-rotated': { kind: 'notice', text: 'New signing key created: published now, it signs after the publication delay.' },
  'keys-pending': { kind: 'error', text: 'A new key is already waiting to sign: rotate again after it has started.' },
  'bad-input': { kind: 'error', text: 'The form was incomplete or malformed; nothing was changed.' },
} as const;
export type NoticeKey = keyof typeof NOTICES;

export function noticeOf(url: URL): (typeof NOTICES)[NoticeKey] | undefined {
  const key = url.searchParams.get('notice');
  return key !== null && Object.hasOwn(NOTICES, key) ? NOTICES[key as NoticeKey] : undefined;
}

/**
 * Where an action returns to: the form's `back` path when it is a console page (no open redirect: only paths
 * below the console base on this origin), else `fallback`.
 */
export function backTo(c: ConsoleCall, form: Params, fallback: string): string {
  let back: string | undefined;
  try {
    back = form.one('back', { max: 2048 });
  } catch {
    back = undefined;
  }
  if (back && (back === c.base || back.startsWith(`${c.base}/`) || back.startsWith(`${c.base}?`)) && !/[\\\s]|\/\//.test(back.slice(1))) return back;
  return fallback;
}

/** `path` with `notice=key` added to its query */
export function withNotice(path: string, notice: NoticeKey): string {
  const u = new URL(path, 'http://x');
  u.searchParams.delete('notice');
  u.searchParams.set('notice', notice);
  return `${u.pathname}${u.search}`;
}

/** the current page (path and query, without the notice) as a `back` value */
export function here(c: ConsoleCall): string {
  const u = new URL(c.url);
  u.searchParams.delete('notice');
  return `${u.pathname}${u.search}`;
}

/** the audit actor of a console action (recordAction of the admin API: `admin.action` naming the administrator) */
export const actionOf = (c: ConsoleCall) => ({ ctx: c.ctx, actor: c.access.actor });
