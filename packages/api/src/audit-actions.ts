/**
 * Every action the services write to the audit log, for the admin console's filter and the
 * README. Recording an action not listed here still works; it just can't be picked as a filter.
 */
export const auditActions = [
  'auth.register',
  'auth.login',
  'auth.login.failure',
  'auth.logout',
  'auth.refresh.reuse',
  'auth.refresh.limit',
  'auth.session.revoke',
  'auth.password_change',
  'auth.password_change.failure',
  'auth.password_reset.request',
  'auth.password_reset',
  'auth.invite.accept',
  'auth.email_verified',
  'users.create',
  'users.update',
  'users.role.change',
  'users.disable',
  'users.enable',
  'users.delete',
  'users.deleteMe.failure',
  'users.email_change.request',
  'users.email_change.failure',
  'users.email_change.cancel',
  'users.email_change.confirm',
  'apiKeys.create',
  'apiKeys.revoke',
  'webhooks.create',
  'webhooks.update',
  'webhooks.delete',
  'webhooks.redeliver',
  'users.import',
  'users.export',
] as const;
export type AuditAction = (typeof auditActions)[number];
