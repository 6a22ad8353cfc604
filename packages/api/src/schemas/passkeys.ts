import { z } from 'zod';
import { field } from '../i18n/field-messages.js';
import { email, isoDateTime, name, uuid } from './common.js';

/**
 * WebAuthn's JSON forms (Level 3 `toJSON()`, and what @simplewebauthn/browser sends), as
 * zod: inputs are bounded and checked before any verification, outputs are documented in
 * /openapi.json, and the client's types stand alone (no @simplewebauthn types in them).
 */
const base64url = (max: number) =>
  z
    .string()
    .max(max, `Must be at most ${max} characters`)
    .regex(/^[A-Za-z0-9_-]*={0,2}$/, field('base64url_expected'));

const transports = z.array(z.string().max(32)).max(16);
const extensions = z.record(z.string(), z.unknown());
const userVerification = z.enum(['required', 'preferred', 'discouraged']);
const attachment = z.enum(['platform', 'cross-platform']);

/** One credential, as options name it. */
export const credentialDescriptor = z.object({
  id: z.string(),
  /** Always "public-key" today; WebAuthn types it as an open string. */
  type: z.string(),
  transports: z.array(z.string()).optional(),
});

// No extensions are asked for, so the option schemas below have none.

/** `PublicKeyCredentialRequestOptionsJSON`: what `navigator.credentials.get()` (or `startAuthentication`) takes. */
export const passkeyRequestOptions = z.object({
  challenge: z.string(),
  timeout: z.number().optional(),
  rpId: z.string().optional(),
  allowCredentials: z.array(credentialDescriptor).optional(),
  userVerification: userVerification.optional(),
  hints: z.array(z.string()).optional(),
});
export type PasskeyRequestOptions = z.infer<typeof passkeyRequestOptions>;

/** `PublicKeyCredentialCreationOptionsJSON`: what `navigator.credentials.create()` (or `startRegistration`) takes. */
export const passkeyCreationOptions = z.object({
  rp: z.object({ id: z.string().optional(), name: z.string() }),
  user: z.object({ id: z.string(), name: z.string(), displayName: z.string() }),
  challenge: z.string(),
  pubKeyCredParams: z.array(z.object({ alg: z.number(), type: z.literal('public-key') })),
  timeout: z.number().optional(),
  excludeCredentials: z.array(credentialDescriptor).optional(),
  authenticatorSelection: z
    .object({
      authenticatorAttachment: attachment.optional(),
      requireResidentKey: z.boolean().optional(),
      residentKey: z.enum(['required', 'preferred', 'discouraged']).optional(),
      userVerification: userVerification.optional(),
    })
    .optional(),
  hints: z.array(z.string()).optional(),
  attestation: z.enum(['none', 'indirect', 'direct', 'enterprise']).optional(),
  attestationFormats: z.array(z.string()).optional(),
});
export type PasskeyCreationOptions = z.infer<typeof passkeyCreationOptions>;

/** `AuthenticationResponseJSON`: an assertion, as the browser's `toJSON()` gives it. */
export const authenticationResponse = z.object({
  id: base64url(1024),
  rawId: base64url(1024),
  response: z.object({
    clientDataJSON: base64url(8192),
    authenticatorData: base64url(8192),
    signature: base64url(2048),
    userHandle: base64url(512).optional(),
  }),
  authenticatorAttachment: attachment.optional(),
  clientExtensionResults: extensions.default({}),
  type: z.literal('public-key'),
});
export type AuthenticationResponse = z.infer<typeof authenticationResponse>;

/** `RegistrationResponseJSON`: a new credential, as the browser's `toJSON()` gives it. */
export const registrationResponse = z.object({
  id: base64url(1024),
  rawId: base64url(1024),
  response: z.object({
    clientDataJSON: base64url(8192),
    attestationObject: base64url(32_768),
    authenticatorData: base64url(32_768).optional(),
    transports: transports.optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url(8192).optional(),
  }),
  authenticatorAttachment: attachment.optional(),
  clientExtensionResults: extensions.default({}),
  type: z.literal('public-key'),
});
export type RegistrationResponse = z.infer<typeof registrationResponse>;

/** A passkey as its owner sees it. */
export const passkey = z.object({
  id: uuid,
  name: z.string(),
  createdAt: isoDateTime,
  lastUsedAt: isoDateTime.nullable(),
  /** Synced to a cloud account (multi-device), so losing this device does not lose it. */
  backedUp: z.boolean(),
});
export type Passkey = z.infer<typeof passkey>;

export const passkeyOptionsInput = z
  .object({
    /** Only this account's passkeys may answer the challenge. Optional: passkeys here are discoverable. */
    email: email.optional(),
  })
  .prefault({});
export type PasskeyOptionsInput = z.infer<typeof passkeyOptionsInput>;

export const passkeyLoginInput = z.object({ response: authenticationResponse });
export type PasskeyLoginInput = z.infer<typeof passkeyLoginInput>;

export const registerPasskeyInput = z.object({
  response: registrationResponse,
  /** Shown in lists; "Passkey" and the date when left out. */
  name: name.optional(),
});
export type RegisterPasskeyInput = z.infer<typeof registerPasskeyInput>;

export const renamePasskeyInput = z.object({ id: uuid, name });
export type RenamePasskeyInput = z.infer<typeof renamePasskeyInput>;

export const passkeyIdInput = z.object({ id: uuid });
export type PasskeyIdInput = z.infer<typeof passkeyIdInput>;
