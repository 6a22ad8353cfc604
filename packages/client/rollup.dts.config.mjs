import { dts } from 'rollup-plugin-dts';

// Bundles the declarations so that @tessera/api's types travel inside @tessera/client:
// an outside project gets every procedure typed without the server's sources.
export default {
  input: 'dist/types/index.d.ts',
  output: { file: 'dist/index.d.ts', format: 'es' },
  external: [/^@trpc\//],
  plugins: [dts({ respectExternal: true, tsconfig: 'tsconfig.build.json' })],
};
