import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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
      `import { createClient, errorCode, type RouterOutputs } from '@tessera/client';
const client = createClient({ url: 'http://localhost:3000' });
export async function signIn(email: string, password: string) {
  const result = await client.auth.login.mutate({ email, password });
  const role: 'admin' | 'manager' | 'user' = result.user.role;
  const me: RouterOutputs['users']['me'] = await createClient({ url: 'x', token: result.accessToken }).users.me.query();
  return { role, me, expiresIn: result.expiresIn satisfies number, code: errorCode(new Error()) };
}
`,
    );
    execFileSync('npx', ['tsc', '-p', '.'], { cwd: project, stdio: 'pipe' });

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
