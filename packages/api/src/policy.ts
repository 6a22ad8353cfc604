import type { Role } from './schemas/users.js';

/** Everything a caller may ask to do to an account or the audit log. */
export type Action =
  | 'users.read'
  | 'users.list'
  | 'users.create'
  | 'users.update'
  | 'users.delete'
  | 'users.disable'
  | 'users.setRole'
  | 'audit.read';

export interface Subject {
  id: string;
  role: Role;
}

/** Roles a manager may act on besides themselves: only plain users. */
const managedByManagers: ReadonlySet<Role> = new Set(['user']);

/**
 * The role table of DESIGN.md, in one place. `target` is the account acted on (for
 * `users.create` and `users.setRole`, its role is the role being given).
 * The last-admin rule depends on data and lives in the user service.
 */
export function can(actor: Subject, action: Action, target?: Subject): boolean {
  const self = target !== undefined && target.id === actor.id;
  switch (action) {
    case 'users.list':
      return actor.role !== 'user';
    case 'audit.read':
      return actor.role === 'admin';
    case 'users.setRole':
      return actor.role === 'admin' && !self;
    case 'users.read':
    case 'users.update':
    case 'users.delete':
      if (self) return true;
      return managesRole(actor.role, target?.role);
    case 'users.disable':
      return !self && managesRole(actor.role, target?.role);
    case 'users.create':
      return managesRole(actor.role, target?.role);
  }
}

function managesRole(actorRole: Role, targetRole: Role | undefined): boolean {
  if (targetRole === undefined) return false;
  if (actorRole === 'admin') return true;
  if (actorRole === 'manager') return managedByManagers.has(targetRole);
  return false;
}
