import { z } from 'zod';
import { field } from '../i18n/field-messages.js';
import { password } from './common.js';
import { authenticationResponse, passkey } from './passkeys.js';

/** How a sign-in's second step may be answered. */
export const mfaMethods = ['totp', 'recovery_code', 'passkey'] as const;
export type MfaMethod = (typeof mfaMethods)[number];

/** What `auth.login` answers, instead of tokens, for an account with a second factor. */
export const mfaChallenge = z.object({
  mfaRequired: z.literal(true),
  /** Single use, 5 minutes, at most 5 wrong codes: pass it to `auth.verifyMfa`. */
  mfaToken: z.string(),
  methods: z.array(z.enum(mfaMethods)),
});
export type MfaChallenge = z.infer<typeof mfaChallenge>;

/** The token `auth.login` handed out: 32 random bytes in base64url. */
const mfaToken = z.string().min(1, 'mfaToken is required').max(128, 'mfaToken is not valid');

/** A TOTP code (6 digits) or a recovery code (`xxxx-xxxx-xxxx-xxxx`); spaces and dashes are ignored. */
export const mfaCode = z.string().min(1, field('code_required')).max(64, field('code_invalid'));

export const verifyMfaInput = z
  .object({
    mfaToken,
    /** A TOTP code from the authenticator app, or one of the recovery codes. */
    code: mfaCode.optional(),
    /** A passkey's assertion (`AuthenticationResponseJSON`), to a challenge from `auth.passkeyOptions`. */
    passkey: authenticationResponse.optional(),
  })
  .refine((input) => (input.code === undefined) !== (input.passkey === undefined), {
    message: field('code_or_passkey'),
    path: ['code'],
  });
export type VerifyMfaInput = z.infer<typeof verifyMfaInput>;

export const mfaStatus = z.object({
  /** An authenticator app is set up (and confirmed). */
  totp: z.boolean(),
  recoveryCodesLeft: z.number().int(),
  passkeys: z.array(passkey),
});
export type MfaStatus = z.infer<typeof mfaStatus>;

export const currentPasswordInput = z.object({ currentPassword: password });
export type CurrentPasswordInput = z.infer<typeof currentPasswordInput>;

export const totpSetup = z.object({
  /** Base32, for typing into an authenticator app by hand. */
  secret: z.string(),
  /** `otpauth://totp/Tessera:<email>?secret=…&issuer=Tessera`, for a QR code. */
  otpauthUrl: z.string(),
});
export type TotpSetup = z.infer<typeof totpSetup>;

export const totpConfirmInput = z.object({ code: mfaCode });
export type TotpConfirmInput = z.infer<typeof totpConfirmInput>;

export const recoveryCodes = z.object({
  /** Shown once: each works once, in place of a TOTP code. */
  recoveryCodes: z.array(z.string()),
});
export type RecoveryCodes = z.infer<typeof recoveryCodes>;
