import { describe, expect, it } from 'vitest';
import { pagePaths, privatePaths, publicPaths, safeNext } from './paths.js';

describe('safeNext', () => {
  it('keeps paths on this origin, with their query', () => {
    expect(safeNext('/admin/users')).toBe('/admin/users');
    expect(safeNext('/admin/audit?targetId=abc')).toBe('/admin/audit?targetId=abc');
  });

  it('refuses anything that could leave the origin', () => {
    for (const next of [
      null,
      '',
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      '/\t/evil.example',
      'javascript:alert(1)',
    ])
      expect(safeNext(next)).toBeUndefined();
  });
});

describe('pagePaths (written to dist/routes.json for the server)', () => {
  it('lists the root and every public and private page once', () => {
    expect(pagePaths).toEqual(['/', ...publicPaths, ...privatePaths]);
    expect(new Set(pagePaths).size).toBe(pagePaths.length);
    expect(pagePaths).toEqual(expect.arrayContaining(['/reset-password', '/verify-email']));
  });
});
