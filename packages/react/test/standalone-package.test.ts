import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const packageDir = resolve(import.meta.dirname, '..');
const clientDir = resolve(packageDir, '..', 'client');
const work = mkdtempSync(join(tmpdir(), 'tessera-react-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function tsc(project: string): string {
  try {
    execFileSync('npx', ['tsc', '-p', '.'], { cwd: project, stdio: 'pipe' });
    return '';
  } catch (error) {
    return String((error as { stdout?: Buffer }).stdout);
  }
}

/**
 * What a React app outside the workspace sees: the packed @tessera/react (with the packed
 * @tessera/client it depends on) installed with npm must type a small component's queries,
 * mutations and session, and refuse a wrong input.
 */
describe('the packed @tessera/react', () => {
  it('installs outside the workspace and types a component', () => {
    for (const dir of [clientDir, packageDir])
      execFileSync('pnpm', ['pack', '--pack-destination', work], { cwd: dir, stdio: 'pipe' });
    const tarballs = readdirSync(work).filter((name) => name.endsWith('.tgz'));
    expect(tarballs).toHaveLength(2);

    const project = join(work, 'consumer');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    execFileSync(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        ...tarballs.map((name) => join(work, name)),
        'typescript@5.9.3',
        'react@19',
        '@types/react@19',
        '@tanstack/react-query@5.108.0',
      ],
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
          jsx: 'react-jsx',
          lib: ['ES2022', 'DOM', 'ESNext.Disposable'],
          noEmit: true,
          // As React app templates have it: @trpc/tanstack-react-query's declarations reach
          // tRPC's server types, which name Node's http module.
          skipLibCheck: true,
          types: [],
        },
        include: ['*.tsx'],
      }),
    );
    writeFileSync(
      join(project, 'people.tsx'),
      `import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { TesseraProvider, useSession, useSettings, useTRPC, useUser } from '@tessera/react';

function People() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useUser();
  const settings = useSettings();
  const { signOut } = useSession();
  const people = useQuery(trpc.users.list.queryOptions({ limit: 20 }));
  const disable = useMutation(
    trpc.users.update.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.users.list.pathFilter()),
    }),
  );
  if (!me) return <p>Signed out</p>;
  const min: number | undefined = settings.data?.passwordMinLength;
  return (
    <ul data-min={min}>
      {people.data?.items.map((person) => (
        <li key={person.id}>
          {person.name} ({person.role})
          <button onClick={() => disable.mutate({ id: person.id, disabled: true })}>Disable</button>
        </li>
      ))}
      <button onClick={() => void signOut()}>Sign out</button>
    </ul>
  );
}

export const App = () => (
  <TesseraProvider>
    <People />
  </TesseraProvider>
);
`,
    );
    expect(tsc(project)).toBe('');

    writeFileSync(
      join(project, 'bad.tsx'),
      `import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@tessera/react';
export function Bad() {
  const trpc = useTRPC();
  return useQuery(trpc.users.get.queryOptions({ id: 42 }));
}
`,
    );
    expect(tsc(project)).toMatch(/bad\.tsx.*'number' is not assignable to type 'string'/s);
  }, 240_000);
});
