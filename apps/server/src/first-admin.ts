import type { Deps } from '@tessera/api';

/** Creates the first admin from ADMIN_EMAIL / ADMIN_PASSWORD when none exists (issue 3 fills this in). */
export async function ensureFirstAdmin(
  _deps: Deps,
  _admin: { email: string; password: string },
): Promise<void> {}
