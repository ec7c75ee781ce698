import { defineConfig } from 'vite';

/**
 * One page serves both faces: Herald answers `/` (dashboard) and `/portal` (consumer portal)
 * with the same index.html, and the app picks its face from the path. Hashed file names under
 * `assets/` let Herald cache them for a year.
 */
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 400,
  },
  // `npm run dev` serves the UI with hot reload and sends API calls to a Herald on its default port.
  server: {
    proxy: { '/api': 'http://127.0.0.1:8040' },
  },
});
