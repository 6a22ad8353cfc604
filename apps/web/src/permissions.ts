import type { User } from '@tessera/client';

type Role = User['role'];

export type UiAction =
  | 'users.list'
  | 'users.create'
  | 'users.update'
  | 'users.disable'
  | 'users.delete'
  | 'users.setRole'
  | 'audit.list';

/**
 * Which controls to show, after DESIGN.md's role table (packages/api/src/policy.ts). This
 * only hides what would be refused: the server decides every call again, and its
 * FORBIDDEN message is shown if the two ever disagree.
 */
export function can(
  actor: Pick<User, 'id' | 'role'>,
  action: UiAction,
  target?: Pick<User, 'id' | 'role'>,
): boolean {
  const self = target !== undefined && target.id === actor.id;
  switch (action) {
    case 'users.list':
      return actor.role !== 'user';
    case 'audit.list':
      return actor.role === 'admin';
    case 'users.create':
      return actor.role === 'admin' || (actor.role === 'manager' && (target?.role ?? 'user') === 'user');
    case 'users.setRole':
      return actor.role === 'admin' && !self;
    case 'users.update':
    case 'users.disable':
    case 'users.delete':
      // One's own account is managed from the profile page, with a password to confirm.
      if (self || !target) return false;
      return manages(actor.role, target.role);
  }
}

/** Roles `actor` may give to a new account. */
export function creatableRoles(actor: Pick<User, 'role'>): Role[] {
  return actor.role === 'admin' ? ['user', 'manager', 'admin'] : actor.role === 'manager' ? ['user'] : [];
}

function manages(actor: Role, target: Role): boolean {
  return actor === 'admin' || (actor === 'manager' && target === 'user');
}
