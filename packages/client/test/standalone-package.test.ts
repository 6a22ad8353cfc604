import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const packageDir = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'tessera-client-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * What an outside project sees: the packed tarball installed with npm, far from the
 * workspace, must typecheck real calls without any server source around.
 */
describe('the packed @tessera/client', () => {
  it('installs outside the workspace and types every call', () => {
    execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: packageDir, stdio: 'pipe' });
    const tarball = readdirSync(work).find((name) => name.endsWith('.tgz'));
    expect(tarball).toBeDefined();

    const project = join(work, 'consumer');
    execFileSync('mkdir', ['-p', project]);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
    );
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', join(work, tarball!), 'typescript@5.9.3'],
      { cwd: project, stdio: 'pipe' },
    );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          // tRPC's own typings use the Disposable types.
          lib: ['ES2022', 'DOM', 'ESNext.Disposable'],
          noEmit: true,
          skipLibCheck: false,
          types: [],
        },
        include: ['*.ts'],
      }),
    );
    writeFileSync(
      join(project, 'good.ts'),
      `import { can, createClient, createSession, errorCode, type RouterOutputs } from '@tessera/client';
const client = createClient({ url: 'http://localhost:3000' });
export async function signIn(email: string, password: string) {
  const answer = await client.auth.login.mutate({ email, password });
  // An account with a second factor answers with a challenge instead of tokens.
  const result = 'mfaRequired' in answer ? await client.auth.verifyMfa.mutate({ mfaToken: answer.mfaToken, code: '123456' }) : answer;
  const role: 'admin' | 'manager' | 'user' = result.user.role;
  const mayList: boolean = can(result.user, 'users.list');
  const me: RouterOutputs['users']['me'] = await createClient({ url: 'x', token: result.accessToken }).users.me.query();
  return { role, mayList, me, expiresIn: result.expiresIn satisfies number, code: errorCode(new Error()) };
}
export async function signInWithSession(email: string, password: string, code: string) {
  const session = createSession({ url: 'http://localhost:3000' });
  const step = await session.signIn({ email, password });
  const user = step.status === 'signed-in' ? step.user : await step.challenge.verify(code);
  const methods: ('totp' | 'recovery_code' | 'passkey')[] = step.status === 'mfa-required' ? [...step.challenge.methods] : [];
  return { mfaEnabled: user.mfaEnabled satisfies boolean, methods };
}
`,
    );
    execFileSync('npx', ['tsc', '-p', '.'], { cwd: project, stdio: 'pipe' });

    // The role policy runs from the package alone: the server's own rules, not a copy.
    writeFileSync(
      join(project, 'policy.mjs'),
      `import { auditActions, can, creatableRoles } from '@tessera/client';
const manager = { id: 'm', role: 'manager' };
console.log(JSON.stringify({
  setRole: can(manager, 'users.setRole', { id: 'u', role: 'user' }),
  disable: can(manager, 'users.disable', { id: 'u', role: 'user' }),
  creatable: creatableRoles(manager),
  audit: auditActions.includes('users.delete'),
}));
`,
    );
    const policy: unknown = JSON.parse(
      execFileSync('node', ['policy.mjs'], { cwd: project, encoding: 'utf8' }),
    );
    expect(policy).toEqual({ setRole: false, disable: true, creatable: ['user'], audit: true });

    // What ships is one bundle that needs tRPC's client and nothing of the server: no
    // @tessera/api, no zod, none of tRPC's server beyond the observable it shares with the client.
    const installed = join(project, 'node_modules', '@tessera', 'client');
    expect(readdirSync(join(installed, 'dist')).sort()).toEqual(['index.d.ts', 'index.js', 'index.js.map']);
    const imports = [
      ...readFileSync(join(installed, 'dist', 'index.js'), 'utf8').matchAll(/from '([^']+)'/g),
    ];
    expect(new Set(imports.map((m) => m[1]))).toEqual(new Set(['@trpc/client', '@trpc/server/observable']));
    expect(readFileSync(join(installed, 'dist', 'index.d.ts'), 'utf8')).not.toMatch(
      /from ['"](zod|@tessera\/)/,
    );

    // And it must catch mistakes: a wrong input type fails to compile.
    writeFileSync(
      join(project, 'bad.ts'),
      `import { createClient } from '@tessera/client';
export const bad = () => createClient({ url: 'x' }).auth.login.mutate({ email: 'a@b.c', password: 42 });
`,
    );
    let failure = '';
    try {
      execFileSync('npx', ['tsc', '-p', '.'], { cwd: project, stdio: 'pipe' });
    } catch (error) {
      failure = String((error as { stdout?: Buffer }).stdout);
    }
    expect(failure).toMatch(/bad\.ts.*Type 'number' is not assignable to type 'string'/s);
  }, 180_000);
});
