import { describe, expect, it } from 'vitest';
import { can, creatableRoles } from './permissions.js';

const admin = { id: 'a', role: 'admin' as const };
const manager = { id: 'm', role: 'manager' as const };
const user = { id: 'u', role: 'user' as const };
const other = (role: 'admin' | 'manager' | 'user') => ({ id: `other-${role}`, role });

describe('controls shown per role (DESIGN.md role table)', () => {
  it('shows the users console to managers and admins, the audit log to admins only', () => {
    expect([admin, manager, user].map((a) => can(a, 'users.list'))).toEqual([true, true, false]);
    expect([admin, manager, user].map((a) => can(a, 'audit.list'))).toEqual([true, false, false]);
  });

  it('lets managers act on plain users only, and admins on anyone', () => {
    for (const action of ['users.update', 'users.disable', 'users.delete'] as const) {
      expect(['admin', 'manager', 'user'].map((r) => can(manager, action, other(r as 'user')))).toEqual([
        false,
        false,
        true,
      ]);
      expect(['admin', 'manager', 'user'].map((r) => can(admin, action, other(r as 'user')))).toEqual([
        true,
        true,
        true,
      ]);
      expect(can(user, action, other('user'))).toBe(false);
    }
  });

  it('never offers to change one’s own role, disable or delete oneself from the console', () => {
    for (const action of ['users.setRole', 'users.disable', 'users.delete'] as const)
      expect(can(admin, action, admin)).toBe(false);
  });

  it('lets only admins change roles and pick any role for a new account', () => {
    expect(can(admin, 'users.setRole', other('user'))).toBe(true);
    expect(can(manager, 'users.setRole', other('user'))).toBe(false);
    expect(creatableRoles(admin)).toEqual(['user', 'manager', 'admin']);
    expect(creatableRoles(manager)).toEqual(['user']);
    expect(creatableRoles(user)).toEqual([]);
  });
});
