import { errorCode, errorReason } from '@tessera/client';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { perFile } from './helpers/per-file.js';
import { rejection, startTestServer, STRONG_PASSWORD, uniqueEmail } from './helpers/server.js';

// Invite-only mode (DESIGN.md, Account security): REGISTRATION_OPEN=false turns auth.register off;
// accounts then come from invites, import or the CLI.

const ADMIN_EMAIL = 'closed-admin@example.com';
const ADMIN_PASSWORD = 'the admin passphrase of a closed server';
const server = perFile(() => startTestServer({ REGISTRATION_OPEN: 'false', ADMIN_EMAIL, ADMIN_PASSWORD }));

describe('REGISTRATION_OPEN=false', () => {
  it('refuses sign-up with FORBIDDEN registration_closed on tRPC and REST, and creates nothing', async () => {
    const email = uniqueEmail('closed');
    const refused = await rejection(
      server.client().auth.register.mutate({ name: 'Closed', email, password: STRONG_PASSWORD }),
    );
    expect(errorCode(refused)).toBe('FORBIDDEN');
    expect(errorReason(refused)).toBe('registration_closed');

    const rest = await fetch(`${server.url}/api/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Closed', email, password: STRONG_PASSWORD }),
    });
    expect(rest.status).toBe(403);
    expect(((await rest.json()) as { data: { reason: string } }).data.reason).toBe('registration_closed');

    const rows = await server.database.db
      .selectFrom('users')
      .select('id')
      .where('email', '=', email)
      .execute();
    expect(rows).toEqual([]);
  });

  it('still lets an admin create accounts, and people sign in', async () => {
    const admin = await server.client().auth.login.mutate({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    if (!('accessToken' in admin)) throw new Error('expected tokens');
    const email = uniqueEmail('invited');
    await server
      .client(admin.accessToken)
      .users.create.mutate({ name: 'Invited', email, password: STRONG_PASSWORD });
    const signedIn = await server.client().auth.login.mutate({ email, password: STRONG_PASSWORD });
    expect('accessToken' in signedIn).toBe(true);
  });

  it('is on by default, and a bad value stops start-up naming the variable', () => {
    expect(parseConfig({}).auth.registrationOpen).toBe(true);
    expect(() => parseConfig({ REGISTRATION_OPEN: 'maybe' })).toThrow(/REGISTRATION_OPEN/);
  });
});
