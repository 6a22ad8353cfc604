import { EmailTakenError, emitUserEvent, passwordProblem, type Deps, type Locale } from '@tessera/api';

/** What creating an admin needs: no tokens, no network. The CLI builds just these. */
export type AdminPorts = Pick<Deps, 'stores' | 'transact' | 'hasher' | 'clock' | 'settings'>;

/** A refusal meant for the operator (bad password, email taken); the message says what to do. */
export class AdminSetupError extends Error {
  override name = 'AdminSetupError';
}

/** The name given to an admin created from ADMIN_EMAIL (the variables carry no name). */
const DEFAULT_ADMIN_NAME = 'Admin';

/**
 * Creates the first admin from ADMIN_EMAIL / ADMIN_PASSWORD when no enabled admin exists.
 * Safe to run on every start and on several nodes at once: the check and the insert happen
 * under the admins lock, so exactly one node creates the account and the rest find it.
 * An existing admin is never touched (its password is not reset from the environment).
 */
export async function ensureFirstAdmin(
  deps: AdminPorts,
  admin: { email: string; password: string },
): Promise<'created' | 'exists'> {
  // Every restart lands here: answer from a cheap look before spending an argon2 hash.
  const existing = await deps.transact((stores) => stores.users.lockActiveAdmins());
  if (existing.length > 0) return 'exists';

  await assertAdminPassword(deps, admin.password, admin.email, 'ADMIN_PASSWORD');
  const passwordHash = await deps.hasher.hash(admin.password);
  return deps.transact(async (stores) => {
    if ((await stores.users.lockActiveAdmins()).length > 0) return 'exists';
    if (await stores.users.findByEmail(admin.email))
      throw new AdminSetupError(
        `ADMIN_EMAIL: ${admin.email} already belongs to an account that is not an enabled admin. ` +
          `Make it an admin with "pnpm tessera create-admin --email ${admin.email} --promote", or choose another address.`,
      );
    await insertAdmin(deps, stores, {
      email: admin.email,
      name: DEFAULT_ADMIN_NAME,
      passwordHash,
      locale: deps.settings.defaultLocale,
      now: deps.clock.now(),
      via: 'ADMIN_EMAIL',
    });
    return 'created';
  });
}

export interface CreateAdminInput {
  email: string;
  name: string;
  password: string;
  /** When the email already has an account: make it an enabled admin and set this password. */
  promote: boolean;
}

/**
 * `tessera create-admin`: creates an admin whether or not others exist (the operator has
 * database access, so nothing is gained by refusing), or with `promote`, turns an existing
 * account into an enabled admin with a new password and signs it out everywhere — the way
 * back in when every admin password is lost.
 */
export async function createAdmin(
  deps: AdminPorts,
  input: CreateAdminInput,
): Promise<{ id: string; outcome: 'created' | 'promoted' }> {
  await assertAdminPassword(deps, input.password, input.email, 'password');
  const passwordHash = await deps.hasher.hash(input.password);
  const via = 'cli';
  try {
    return await deps.transact(async (stores) => {
      await stores.users.lockActiveAdmins();
      const now = deps.clock.now();
      const existing = await stores.users.findByEmail(input.email);
      if (!existing) {
        const id = await insertAdmin(deps, stores, {
          email: input.email,
          name: input.name,
          passwordHash,
          locale: deps.settings.defaultLocale,
          now,
          via,
        });
        return { id, outcome: 'created' as const };
      }
      if (!input.promote)
        throw new AdminSetupError(
          `An account with ${input.email} already exists. Pass --promote to make it an enabled admin ` +
            'and set this password (its sessions end).',
        );
      await stores.users.update(existing.id, { role: 'admin', disabledAt: null });
      await stores.users.setPasswordHash(existing.id, passwordHash);
      await stores.users.clearLoginFailures(existing.id);
      const sessionsEnded = await stores.sessions.revokeAllForUser(existing.id, now);
      const promoted = (await stores.users.findById(existing.id)) ?? existing;
      if (existing.role !== 'admin')
        await emitUserEvent(deps, stores, 'user.role_changed', promoted, { previousRole: existing.role });
      if (existing.disabledAt) await emitUserEvent(deps, stores, 'user.enabled', promoted);
      await emitUserEvent(deps, stores, 'user.password_changed', promoted);
      if (sessionsEnded > 0)
        await emitUserEvent(deps, stores, 'session.revoked', promoted, { sessionId: null });
      const event = { actorId: null, targetId: existing.id, ip: null, userAgent: null };
      if (existing.role !== 'admin')
        await stores.audit.record({
          ...event,
          action: 'users.role.change',
          metadata: { from: existing.role, to: 'admin', via },
        });
      if (existing.disabledAt)
        await stores.audit.record({ ...event, action: 'users.enable', metadata: { via } });
      await stores.audit.record({ ...event, action: 'users.password.set', metadata: { via } });
      return { id: existing.id, outcome: 'promoted' as const };
    });
  } catch (error) {
    // Someone registered the address between our look and our insert.
    if (error instanceof EmailTakenError)
      throw new AdminSetupError(`An account with ${input.email} already exists; run again with --promote`);
    throw error;
  }
}

/** A new enabled admin, audited as created by the operator (`via` says how). Returns its id. */
async function insertAdmin(
  deps: AdminPorts,
  stores: AdminPorts['stores'],
  admin: { email: string; name: string; passwordHash: string; now: Date; via: string; locale: Locale },
): Promise<string> {
  const user = await stores.users.insert({
    email: admin.email,
    name: admin.name,
    passwordHash: admin.passwordHash,
    role: 'admin',
    locale: admin.locale,
    // The operator chose this address; there is nobody to send a link to yet.
    emailVerifiedAt: admin.now,
  });
  await emitUserEvent(deps, stores, 'user.created', user);
  await stores.audit.record({
    actorId: null,
    action: 'users.create',
    targetId: user.id,
    ip: null,
    userAgent: null,
    metadata: { email: user.email, role: 'admin', via: admin.via },
  });
  return user.id;
}

async function assertAdminPassword(
  deps: AdminPorts,
  password: string,
  email: string,
  field: string,
): Promise<void> {
  const problem = await passwordProblem(password, { minLength: deps.settings.passwordMinLength }, email);
  if (problem) throw new AdminSetupError(`${field}: ${problem.messageIn('en')}`);
}
