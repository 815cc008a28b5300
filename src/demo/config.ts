/** The demo's policy, shared by `serve --demo` and the admin commands (no SDK imports here). */

/** The scope each demo tool needs; `portcullis serve --demo` puts these in the resource's tool policy. */
export const DEMO_TOOL_SCOPES = {
  list_notes: 'notes:read',
  read_note: 'notes:read',
  add_note: 'notes:write',
  delete_all_notes: 'notes:admin',
} as const;

export const DEMO_SCOPES = ['notes:read', 'notes:write', 'notes:admin'];

/** notes:admin ⊃ notes:write ⊃ notes:read */
export const DEMO_SCOPE_IMPLIES: Record<string, string[]> = { 'notes:admin': ['notes:write'], 'notes:write': ['notes:read'] };

/** roles for `portcullis users add NAME --role reader|editor|admin` in the demo */
export const DEMO_ROLES: Record<string, string[]> = { reader: ['notes:read'], editor: ['notes:write'], admin: ['notes:admin'] };

/** The demo's protected resource, as `serve --demo` configures it (the upstream filled in when it starts). */
export function demoResource(upstream: string | undefined) {
  return {
    path: '/mcp',
    upstream,
    name: 'Portcullis demo notes',
    scopes: [...DEMO_SCOPES],
    tools: { ...DEMO_TOOL_SCOPES } as Record<string, string>,
    prompts: {},
    mcp_resources: {},
    scope_implies: { ...DEMO_SCOPE_IMPLIES },
    unlisted: 'deny' as const,
  };
}
