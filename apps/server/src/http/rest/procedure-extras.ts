/**
 * REST details that procedure metadata cannot carry (`Meta` in packages/api has no field
 * for them): a 201 for procedures that create something, error statuses the contract names
 * beyond the generic ones, and request examples for the reference page. Keyed by procedure
 * path; a key whose procedure does not exist is ignored.
 */
export interface ProcedureExtras {
  /** HTTP status of a success; 200 unless said. */
  status?: 201;
  /** Error statuses this procedure answers on top of the generic ones (see openapi-document.ts). */
  errors?: number[];
  /** A request that works, shown in /docs. */
  example?: Record<string, unknown>;
}

const PASSWORD = 'correct horse battery staple';
const EMAIL = 'ada@example.com';
const TOKEN = 'Yw8c2bJ0sXq3rZ1mD5uT7kPa9eLfHn4GvQ6iWjN2oSx';

export const PROCEDURE_EXTRAS: Readonly<Record<string, ProcedureExtras>> = {
  'auth.register': {
    status: 201,
    errors: [409],
    example: { name: 'Ada Lovelace', email: EMAIL, password: PASSWORD },
  },
  'auth.login': { errors: [401], example: { email: EMAIL, password: PASSWORD } },
  'auth.refresh': { errors: [401], example: { refreshToken: TOKEN } },
  'auth.logout': { example: { refreshToken: TOKEN } },
  'auth.requestPasswordReset': { example: { email: EMAIL } },
  'auth.resetPassword': { example: { token: TOKEN, password: 'a brand new passphrase for tessera' } },
  'auth.changePassword': {
    errors: [429],
    example: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase for tessera' },
  },
  'auth.verifyEmail': { example: { token: TOKEN } },
  'users.updateMe': { errors: [409], example: { name: 'Ada King' } },
  // 409: the last enabled admin cannot delete themselves.
  'users.deleteMe': { errors: [409, 429], example: { password: PASSWORD } },
  'auth.requestEmailVerification': { errors: [429] },
  'users.create': {
    status: 201,
    errors: [409],
    example: { name: 'Charles Babbage', email: 'charles@example.com', role: 'user' },
  },
  // 409: a taken email, a stale `expectedUpdatedAt`, or demoting/disabling the last admin.
  'users.update': { errors: [409], example: { role: 'manager' } },
  'users.delete': { errors: [409] },
  // Second factors: 401 for a wrong code or passkey and a spent token, 429 past the account's attempts.
  'auth.verifyMfa': { errors: [401, 429], example: { mfaToken: TOKEN, code: '123456' } },
  'auth.passkeyOptions': { example: {} },
  'auth.passkeyLogin': { errors: [401] },
  'mfa.totpSetup': { errors: [409, 429], example: { currentPassword: PASSWORD } },
  'mfa.totpConfirm': { errors: [409], example: { code: '123456' } },
  'mfa.totpDisable': { errors: [409, 429], example: { currentPassword: PASSWORD } },
  'mfa.regenerateRecoveryCodes': { errors: [409, 429], example: { currentPassword: PASSWORD } },
  'passkeys.register': { status: 201, errors: [409] },
  'passkeys.rename': { example: { name: 'Work laptop' } },
  'apiKeys.create': {
    status: 201,
    example: { name: 'billing-service', role: 'manager', expiresAt: '2027-12-31T00:00:00Z' },
  },
  'webhooks.create': {
    status: 201,
    example: {
      url: 'https://billing.example.com/hooks/tessera',
      events: ['user.created', 'user.deleted'],
      description: 'Billing accounts',
    },
  },
  'webhooks.update': { example: { enabled: false } },
};

/** The success status of a procedure's REST twin. */
export function successStatus(procedurePath: string): 200 | 201 {
  return PROCEDURE_EXTRAS[procedurePath]?.status ?? 200;
}
