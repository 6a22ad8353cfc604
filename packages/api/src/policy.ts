// Pure on purpose: nothing but the refusal texts (plain data), so @tessera/client bundles this
// module and the web app shows exactly the controls the server will allow. The throwing
// `authorize` lives in errors.ts.
import { policyRefusal, type PolicyRule } from './i18n/policy-refusals.js';

/** Every role, most powerful first. */
export const roles = ['admin', 'manager', 'user'] as const;
export type Role = (typeof roles)[number];

/**
 * Everything a caller may ask to do to an account or the audit log. Self-service actions
 * (`users.updateMe`, `users.deleteMe`) are listed too, so the whole role table lives here.
 */
export type Action =
  | 'users.read'
  | 'users.list'
  | 'users.create'
  | 'users.update'
  | 'users.delete'
  | 'users.disable'
  | 'users.setRole'
  | 'users.setEmail'
  | 'users.updateMe'
  | 'users.deleteMe'
  | 'users.import'
  | 'users.export'
  | 'users.resetMfa'
  | 'audit.read'
  | 'apiKeys.manage'
  | 'webhooks.manage';

/** Every action, for exhaustive tests and documentation. */
export const actions: readonly Action[] = [
  'users.read',
  'users.list',
  'users.create',
  'users.update',
  'users.delete',
  'users.disable',
  'users.setRole',
  'users.setEmail',
  'users.updateMe',
  'users.deleteMe',
  'users.import',
  'users.export',
  'users.resetMfa',
  'audit.read',
  'apiKeys.manage',
  'webhooks.manage',
];

export interface Subject {
  id: string;
  role: Role;
}

/**
 * The account acted on. For `users.create` it is the account about to exist (no id yet) and
 * `role` is the role it would get; for `users.setRole` it is the account with its current role.
 */
export type Target = Subject | { id?: undefined; role: Role };

/** A refusal names its rule (translated in i18n/policy-refusals.ts) and says why in English. */
export type Decision = { allowed: true } | { allowed: false; rule: PolicyRule; reason: string };

const allow: Decision = { allowed: true };
const deny = (rule: PolicyRule): Decision => ({ allowed: false, rule, reason: policyRefusal(rule, 'en') });

/** Roles a manager may act on besides themselves: only plain users. */
const managedByManagers: ReadonlySet<Role> = new Set(['user']);

/**
 * The role table of DESIGN.md, in one place, with a reason a client developer can show for
 * every refusal. The last-admin rule depends on data, not roles, and lives in the user service.
 */
export function decide(actor: Subject, action: Action, target?: Target): Decision {
  const self = target?.id !== undefined && target.id === actor.id;
  switch (action) {
    case 'users.updateMe':
    case 'users.deleteMe':
      return allow;
    case 'users.list':
      return actor.role === 'user' ? deny('list_users_staff_only') : allow;
    case 'audit.read':
      return actor.role === 'admin' ? allow : deny('audit_admins_only');
    case 'apiKeys.manage':
      return actor.role === 'admin' ? allow : deny('api_keys_admins_only');
    case 'webhooks.manage':
      return actor.role === 'admin' ? allow : deny('webhooks_admins_only');
    // Bulk moves carry any role and every account's details, so they are the admins' alone.
    case 'users.import':
      return actor.role === 'admin' ? allow : deny('import_admins_only');
    case 'users.export':
      return actor.role === 'admin' ? allow : deny('export_admins_only');
    case 'users.read':
      if (self || actor.role !== 'user') return allow;
      return deny('read_own_only');
    case 'users.create':
      if (actor.role === 'user') return deny('create_staff_only');
      return manages(actor.role, target) ? allow : deny('managers_create_users_only');
    case 'users.update':
      if (self) return allow;
      return onOther(actor.role, target, 'change_own_only', 'managers_change_users_only');
    case 'users.disable':
      if (self) return deny('disable_self');
      return onOther(actor.role, target, 'disable_staff_only', 'managers_disable_users_only');
    case 'users.delete':
      // Deleting oneself goes through users.deleteMe, which asks for the password: a stolen
      // access token alone must not be enough to destroy an account.
      if (self) return deny('delete_self');
      return onOther(actor.role, target, 'delete_staff_only', 'managers_delete_users_only');
    case 'users.setEmail':
      // Staff changes apply at once; one's own goes through users.updateMe, which asks for
      // the password and waits for the new address to be confirmed.
      if (self) return deny('set_email_self');
      return onOther(actor.role, target, 'set_email_own_only', 'managers_change_users_only');
    case 'users.setRole':
      if (self) return deny('set_role_self');
      return actor.role === 'admin' ? allow : deny('set_role_admins_only');
    case 'users.resetMfa':
      // One's own factors are turned off from the profile, each with its own check: a stolen
      // admin token must not strip its owner's second factor in one call.
      if (self) return deny('reset_mfa_self');
      return actor.role === 'admin' ? allow : deny('reset_mfa_admins_only');
  }
}

/**
 * What a member of a role in MFA_REQUIRED_ROLES may still call before setting up a second
 * factor: reading themselves and the settings, setting up the factor, signing out. Procedure
 * paths, or a router's prefix ending with a dot.
 */
export const allowedBeforeMfaEnrollment: readonly string[] = [
  'users.me',
  'meta.settings',
  'auth.logout',
  'mfa.',
  'passkeys.',
];

/**
 * True when `procedure` must be refused (FORBIDDEN `mfa_enrollment_required`) to a signed-in
 * user: their role requires a second factor, they have none, and the procedure is not one of
 * {@link allowedBeforeMfaEnrollment}.
 */
export function mfaEnrollmentRequired(
  user: { role: Role; mfaEnabled: boolean },
  requiredRoles: readonly Role[],
  procedure: string,
): boolean {
  if (user.mfaEnabled || !requiredRoles.includes(user.role)) return false;
  return !allowedBeforeMfaEnrollment.some((allowed) =>
    allowed.endsWith('.') ? procedure.startsWith(allowed) : procedure === allowed,
  );
}

/** True when `decide` allows the action. */
export function can(actor: Subject, action: Action, target?: Target): boolean {
  return decide(actor, action, target).allowed;
}

/** True when `to` is a less powerful role than `from` (a demotion ends the account's sessions). */
export function isDemotion(from: Role, to: Role): boolean {
  return roles.indexOf(to) > roles.indexOf(from);
}

/** The roles `actor` may give a new account, in the order of `roles`. */
export function creatableRoles(actor: Subject): Role[] {
  return roles.filter((role) => can(actor, 'users.create', { role }));
}

/** Acting on someone else's account: managers on plain users, admins on anyone. */
function onOther(
  actorRole: Role,
  target: Target | undefined,
  asUser: PolicyRule,
  asManager: PolicyRule,
): Decision {
  if (actorRole === 'user') return deny(asUser);
  if (manages(actorRole, target)) return allow;
  return deny(asManager);
}

function manages(actorRole: Role, target: Target | undefined): boolean {
  if (target === undefined) return false;
  if (actorRole === 'admin') return true;
  if (actorRole === 'manager') return managedByManagers.has(target.role);
  return false;
}
