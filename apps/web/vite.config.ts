import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// `pnpm dev` serves the pages on :5173 and forwards API calls to a Tessera on :3000
// (`pnpm --filter @tessera/server dev`), so the app still talks to its own origin.
const api = process.env.TESSERA_URL ?? 'http://127.0.0.1:3000';

export default defineConfig({
  plugins: [react()],
  // Workspace packages are read from their TypeScript sources, so the build needs no
  // prior build of @tessera/client.
  resolve: { conditions: ['development', ...defaultClientConditions] },
  server: { proxy: { '/trpc': api, '/api': api } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The polyfill would be inlined; every browser we support has modulepreload, and the
    // page's CSP admits no inline script.
    modulePreload: { polyfill: false },
  },
});
