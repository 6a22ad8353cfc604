import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dts } from 'rollup-plugin-dts';

// tRPC, jose and standardwebhooks are real dependencies of the package; everything from
// @tessera/* travels inside it, so an outside project installs @tessera/client alone.
const external = [/^@trpc\//, 'jose', 'standardwebhooks'];

/**
 * Resolves `@tessera/api/shared` (the role policy and the audit vocabulary: no tRPC server,
 * no zod) to its build and keeps its source map, so the bundle carries the one policy the
 * server enforces instead of a copy.
 */
const workspacePackages = {
  name: 'workspace-packages',
  resolveId(source) {
    return source.startsWith('@tessera/') ? fileURLToPath(import.meta.resolve(source)) : null;
  },
  load(id) {
    if (!id.endsWith('.js')) return null;
    const map = `${id}.map`;
    return { code: readFileSync(id, 'utf8'), map: existsSync(map) ? readFileSync(map, 'utf8') : null };
  },
};

export default [
  // Two entries: the whole client, and `@tessera/client/server` (the helpers for Node
  // services alone), which the first re-exports.
  {
    input: { index: 'dist/tsc/index.js', server: 'dist/tsc/server.js' },
    output: { dir: 'dist', format: 'es', sourcemap: true, entryFileNames: '[name].js' },
    external,
    plugins: [workspacePackages],
  },
  // The declarations, with @tessera/api's types inlined: an outside project gets every
  // procedure typed without the server's sources. One file per entry, each standing alone.
  ...['index', 'server'].map((entry) => ({
    input: `dist/types/${entry}.d.ts`,
    output: { file: `dist/${entry}.d.ts`, format: 'es' },
    external,
    plugins: [dts({ respectExternal: true, tsconfig: 'tsconfig.build.json' })],
  })),
];
