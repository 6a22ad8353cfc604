import type { UserRecord } from '../ports/index.js';
import type { User } from '../schemas/users.js';

/** The public face of a user row: what `User` in DESIGN.md promises, and nothing else. */
export function toUser(record: UserRecord): User {
  return {
    id: record.id,
    email: record.email,
    name: record.name,
    role: record.role,
    emailVerified: record.emailVerifiedAt !== null,
    pendingEmail: record.pendingEmail,
    disabled: record.disabledAt !== null,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    lastLoginAt: record.lastLoginAt?.toISOString() ?? null,
    mfaEnabled: record.mfaEnabled,
    locale: record.locale,
  };
}
