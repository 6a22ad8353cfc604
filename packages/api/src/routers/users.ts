import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { okOutput } from '../schemas/common.js';
import {
  createUserInput,
  deleteMeInput,
  listUsersInput,
  updateMeInput,
  updateUserInput,
  user,
  userIdInput,
  userPage,
} from '../schemas/users.js';
import { importResult, importUsersInput } from '../schemas/import.js';
import { importUsers } from '../services/import.js';
import * as users from '../services/users.js';
import { toUser } from '../services/user-view.js';
import { restTwins } from './rest-twin.js';
import { callerProcedure, protectedProcedure } from '../trpc.js';
import { thenOk } from './then-ok.js';

const { signedIn } = restTwins(['users']);

const UPDATE_ME_DETAILS =
  'A new email needs `currentPassword` and is held as `pendingEmail` until the link mailed to it is followed ' +
  '(POST /auth/email/verify); the current address keeps working meanwhile and is told of the request. ' +
  'Sending the current address again cancels a pending change. At most 5 email changes a day.';

const IMPORT_DETAILS =
  'Admins only. Up to 1,000 rows a call, checked one by one: a bad row is reported in `errors` (its index ' +
  'in `rows` from 0, the field, why) and the others go in, all in one transaction. `passwordHash` may be an ' +
  "argon2id/argon2i PHC string, bcrypt ($2a$, $2b$, $2y$) or Django's pbkdf2_sha256, pbkdf2_sha1, argon2 or " +
  'bcrypt_sha256 hash: the user signs in with their old password, which is then rehashed with argon2id; ' +
  'without one the account has no password until its owner uses "forgot password". An existing email is ' +
  '`skip`ped, `update`d (fields left out stay), or (`fail`, the default) refuses the whole batch. ' +
  '`dryRun` reports the same result and writes nothing. No mail is sent.';

const UPDATE_DETAILS =
  'An email change applies at once, unverified: the old address gets a notice, the new one a ' +
  'verification link (an invite if no password was set), and every outstanding link of the account ' +
  'stops working. A demotion or a disable ends every session. Your own email goes through PATCH /users/me.';

// me / updateMe / deleteMe are about the signed-in person (protectedProcedure: no API key);
// the rest also serve a service with an API key (callerProcedure), judged by the key's role.
// Order matters for REST: the first matching route wins, so /users/me comes before /users/{id}.
export const usersRouter = {
  me: protectedProcedure
    .meta(signedIn('GET', '/users/me', 'The signed-in user'))
    .input(z.void())
    .output(user)
    .query(({ ctx }) => toUser(ctx.actor.user)),

  updateMe: protectedProcedure
    .meta(signedIn('PATCH', '/users/me', 'Change your own name or email', UPDATE_ME_DETAILS))
    .input(updateMeInput)
    .output(user)
    .mutation(({ ctx, input }) => users.updateMe(ctx.deps, ctx.request, ctx.actor, input)),

  deleteMe: protectedProcedure
    .meta(signedIn('POST', '/users/me/delete', 'Delete your own account, confirming with your password'))
    .input(deleteMeInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => users.deleteMe(ctx.deps, ctx.request, ctx.actor, input))),

  list: callerProcedure
    .meta(signedIn('GET', '/users', 'List and search users, a page at a time (managers and admins)'))
    .input(listUsersInput)
    .output(userPage)
    .query(({ ctx, input }) => users.listUsers(ctx.deps, ctx.actor, input)),

  get: callerProcedure
    .meta(signedIn('GET', '/users/{id}', 'One user by id'))
    .input(userIdInput)
    .output(user)
    .query(({ ctx, input }) => users.getUser(ctx.deps, ctx.actor, input.id)),

  create: callerProcedure
    .meta(signedIn('POST', '/users', 'Create a user; without a password, an invite email lets them set one'))
    .input(createUserInput)
    .output(user)
    .mutation(({ ctx, input }) => users.createUser(ctx.deps, ctx.request, ctx.actor, input)),

  update: callerProcedure
    .meta(signedIn('PATCH', '/users/{id}', 'Change a user: name, email, role, disabled', UPDATE_DETAILS))
    .input(updateUserInput)
    .output(user)
    .mutation(({ ctx, input }) => users.updateUser(ctx.deps, ctx.request, ctx.actor, input)),

  import: callerProcedure
    .meta(
      signedIn(
        'POST',
        '/users/import',
        'Import up to 1,000 users, with their old password hashes',
        IMPORT_DETAILS,
      ),
    )
    .input(importUsersInput)
    .output(importResult)
    .mutation(({ ctx, input }) => importUsers(ctx.deps, ctx.request, ctx.actor, input)),
  resetMfa: protectedProcedure
    .meta(
      signedIn(
        'POST',
        '/users/{id}/reset-mfa',
        'Remove every second factor of a user (admins)',
        'Authenticator app, recovery codes and passkeys go; the user is told by mail and signs in with the password alone until they set one up again.',
      ),
    )
    .input(userIdInput)
    .output(user)
    .mutation(({ ctx, input }) => users.resetMfa(ctx.deps, ctx.request, ctx.actor, input.id)),

  delete: callerProcedure
    .meta(signedIn('DELETE', '/users/{id}', 'Delete a user'))
    .input(userIdInput)
    .output(okOutput)
    .mutation(thenOk(({ ctx, input }) => users.deleteUser(ctx.deps, ctx.request, ctx.actor, input.id))),
} satisfies TRPCRouterRecord;
