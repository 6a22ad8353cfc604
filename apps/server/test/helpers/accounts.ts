import type { Role } from '@tessera/api';
import type { TesseraClient } from '@tessera/client';
import type { DatabaseHandle } from '@tessera/db';
import { STRONG_PASSWORD, uniqueEmail } from './server.js';

/** The fields of a User answer, sorted: an answer with any other (a hash, a column) fails. */
export const USER_FIELDS = [
  'createdAt',
  'disabled',
  'email',
  'emailVerified',
  'id',
  'lastLoginAt',
  'locale',
  'mfaEnabled',
  'name',
  'pendingEmail',
  'role',
  'updatedAt',
];

/** A signed-in account made through the API, as the account-security tests use them. */
export interface SignedIn {
  id: string;
  email: string;
  token: string;
  refreshToken: string;
  client: TesseraClient;
}

interface ServerLike {
  database: DatabaseHandle;
  client(token?: string): TesseraClient;
}

/** Registers an account (its role then set in the database when not `user`) and signs it in. */
export async function signUp(
  server: ServerLike,
  options: { role?: Role; name?: string; prefix?: string } = {},
): Promise<SignedIn> {
  const email = uniqueEmail(options.prefix ?? options.role ?? 'user');
  const result = await server
    .client()
    .auth.register.mutate({ name: options.name ?? 'Test Person', email, password: STRONG_PASSWORD });
  if (options.role && options.role !== 'user')
    await server.database.db
      .updateTable('users')
      .set({ role: options.role })
      .where('id', '=', result.user.id)
      .execute();
  return {
    id: result.user.id,
    email,
    token: result.accessToken,
    refreshToken: result.refreshToken,
    client: server.client(result.accessToken),
  };
}

/** The users row as stored. */
export function userRow(server: ServerLike, id: string) {
  return server.database.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The account's emailed links that could still be followed (unused, whatever their expiry). */
export function openLinks(server: ServerLike, userId: string) {
  return server.database.db
    .selectFrom('one_time_tokens')
    .select(['purpose', 'email'])
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .execute();
}

/**
 * What must hold for an account whatever ran on it, and in any order: every open link belongs
 * to an address the account has (its email, or the pending one for an email-change link), at
 * most one per purpose, and a pending email exactly when an email-change link is open.
 * Returns the problems found (empty when consistent).
 */
export async function accountProblems(server: ServerLike, userId: string): Promise<string[]> {
  const row = await userRow(server, userId);
  if (!row) return [];
  const links = await openLinks(server, userId);
  const problems: string[] = [];
  for (const link of links) {
    const owner = link.purpose === 'email_change' ? row.pending_email : row.email;
    if (link.email !== owner)
      problems.push(`open ${link.purpose} link for ${link.email}, account has ${owner ?? 'none'}`);
  }
  const purposes = links.map((l) => l.purpose);
  if (new Set(purposes).size !== purposes.length)
    problems.push(`several open links of one purpose: ${purposes.join(',')}`);
  if ((row.pending_email !== null) !== purposes.includes('email_change'))
    problems.push(`pending_email ${row.pending_email} with email_change links: ${purposes.join(',')}`);
  if (row.pending_email !== null && row.pending_email === row.email)
    problems.push('pending_email equals email');
  if (row.disabled_at !== null && links.length > 0) problems.push('a disabled account has open links');
  return problems;
}

/** The tokens of a sign-in (`auth.login`'s answer); fails the test when a second factor was asked for instead. */
export function tokensOf<T extends object>(result: T): Exclude<T, { mfaRequired: true }> {
  if ('mfaRequired' in result) throw new Error('expected tokens, got a second-factor challenge');
  return result as Exclude<T, { mfaRequired: true }>;
}
