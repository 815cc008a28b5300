import { z } from 'zod';
import { createUser, MAX_PASSWORD, MIN_PASSWORD, publicUser, setUserDisabled, setUserRoles, unknownRoles, USERNAME } from '../users.js';
import { AdminError, badRequest, json, notFound, readJson, readQuery } from './http.js';
import { recordAction, type AdminCall, type Route } from './router.js';

const role = z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'a role name (letters, digits, . _ : -)');
const roles = z.array(role).max(64);
const username = z.string().regex(USERNAME, 'letters, digits and . _ @ - (1–64 characters)');
const CreateUser = z.strictObject({ username, password: z.string().min(MIN_PASSWORD).max(MAX_PASSWORD), roles: roles.default([]) });
const PatchUser = z
  .strictObject({ roles: roles.optional(), disabled: z.boolean().optional() })
  .refine((b) => b.roles !== undefined || b.disabled !== undefined, 'give roles and/or disabled');

function checkRoles(call: AdminCall, wanted: string[]): void {
  const unknown = unknownRoles(call.ctx.settings.config, wanted);
  if (unknown.length) throw badRequest(`unknown role(s): ${unknown.join(', ')}`);
}

async function userByName(call: AdminCall) {
  const name = call.params.name!;
  if (!USERNAME.test(name)) throw badRequest('malformed user name');
  const user = await call.ctx.store.getUserByName(name);
  if (!user) throw notFound(`no user ${name}`);
  return user;
}

/**
 * Users and roles, with the semantics of `portcullis users` (src/admin/users.ts): narrowing roles revokes the
 * grants beyond them and disabling revokes every grant, at once; the gateway is told of each revoked grant.
 */
export const userRoutes: Route[] = [
  {
    method: 'GET',
    path: 'users',
    handler: async (call) => {
      readQuery(call.url, z.strictObject({}));
      return json({ users: (await call.ctx.store.listUsers()).map(publicUser) });
    },
  },
  {
    method: 'POST',
    path: 'users',
    handler: async (call) => {
      const body = await readJson(call.req, CreateUser);
      checkRoles(call, body.roles);
      const user = await createUser(call.ctx.store, body, call.ctx.clock());
      if (user === 'exists') throw new AdminError(409, 'conflict', `user ${body.username} already exists`);
      await recordAction(call, 'user.create', body.username, { roles: user.roles });
      return json(publicUser(user), 201);
    },
  },
  { method: 'GET', path: 'users/:name', handler: async (call) => json(publicUser(await userByName(call))) },
  {
    method: 'PATCH',
    path: 'users/:name',
    handler: async (call) => {
      const body = await readJson(call.req, PatchUser);
      if (body.roles) checkRoles(call, body.roles);
      let user = await userByName(call);
      const { ctx } = call;
      const revoked: string[] = [];
      if (body.roles) revoked.push(...(await setUserRoles(ctx.store, ctx.settings.config, user, [...new Set(body.roles)], ctx.clock())));
      if (body.disabled !== undefined) revoked.push(...(await setUserDisabled(ctx.store, user, body.disabled, ctx.clock())));
      for (const id of revoked) ctx.onGrantRevoked(id);
      user = (await ctx.store.getUser(user.id)) ?? user;
      await recordAction(call, 'user.update', user.username, { ...(body.roles ? { roles: body.roles } : {}), ...(body.disabled !== undefined ? { disabled: body.disabled } : {}), revoked_grants: revoked });
      return json({ user: publicUser(user), revoked_grants: revoked });
    },
  },
];
