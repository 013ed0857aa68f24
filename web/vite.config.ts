import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';

// KaTeX's stylesheet lists every font as woff2, woff and ttf; every browser we support reads
// woff2, so the other two (0.9 MB) are left out of the package.
function katexWoff2Only(): Plugin {
  return {
    name: 'katex-woff2-only',
    enforce: 'pre',
    transform(code, id) {
      if (!/katex(\.min)?\.css$/.test(id)) return null;
      return code.replace(/,\s*url\([^)]*\.(?:woff|ttf)\)\s*format\("(?:woff|truetype)"\)/g, '');
    },
  };
}

// The build lands inside the Python package so that `council serve` serves it at `/`.
// `emptyOutDir` wipes the folder; `public/.gitkeep` is copied back in so git keeps the folder.
export default defineConfig({
  base: '/',
  plugins: [katexWoff2Only()],
  build: {
    outDir: '../llmcouncil/static',
    emptyOutDir: true,
    chunkSizeWarningLimit: 900,
  },
  server: {
    proxy: {
      '/api': process.env.COUNCIL_API ?? 'http://127.0.0.1:8001',
    },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
  },
});
