import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';
import { pagePaths } from './src/paths.js';

// `pnpm dev` serves the pages on :5173 and forwards API calls to a Tessera on :3000
// (`pnpm --filter @tessera/server dev`), so the app still talks to its own origin.
const api = process.env.TESSERA_URL ?? 'http://127.0.0.1:3000';

/**
 * Writes the router's page paths to dist/routes.json: the server answers exactly these with
 * the page (an emailed link fetched by a scanner included), from the same list the app routes by.
 */
function pageRoutes(): Plugin {
  return {
    name: 'tessera-page-routes',
    apply: 'build',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'routes.json', source: `${JSON.stringify(pagePaths)}\n` });
    },
  };
}

export default defineConfig({
  plugins: [react(), pageRoutes()],
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
