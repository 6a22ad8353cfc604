import type { Deps } from '../ports/index.js';
import type { PublicSettings } from '../schemas/meta.js';

/** The settings a front end shows (GET /api/settings), straight from the server's config. */
export function publicSettings({ settings }: Deps): PublicSettings {
  return {
    passwordMinLength: settings.passwordMinLength,
    resetTokenTtlSeconds: settings.resetTokenTtlSeconds,
    registrationOpen: settings.registrationOpen,
    locales: [...settings.locales.supported],
    defaultLocale: settings.locales.default,
    mfaRequiredRoles: [...settings.mfaRequiredRoles],
    passkeys: settings.passkeys,
  };
}
