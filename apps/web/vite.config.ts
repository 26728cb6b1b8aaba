import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const require = createRequire(import.meta.url);

/**
 * tfjs-backend-wasm fetches its `.wasm` files at run time from the folder given to
 * `initRuntime({ wasmPaths })`; Vite cannot see those fetches, so they are copied to `tfjs/`.
 */
function tfjsWasmFiles(): Plugin {
  return {
    name: 'hybridspike-tfjs-wasm-files',
    apply: 'build',
    writeBundle(options) {
      const src = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist');
      const out = join(options.dir!, 'tfjs');
      mkdirSync(out, { recursive: true });
      for (const f of readdirSync(src).filter((f) => f.endsWith('.wasm')))
        copyFileSync(join(src, f), join(out, f));
    },
  };
}

export default defineConfig({
  // Relative asset URLs: the built page works from any folder or sub-path it is served from.
  base: './',
  resolve: { conditions: ['@hybridspike/source', 'browser', 'module', 'import', 'default'] },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    outDir: 'dist',
    rollupOptions: {
      // zod's sources carry `@__PURE__` comments Rollup cannot place: harmless, and noisy.
      onwarn(w, warn) {
        if (w.code !== 'INVALID_ANNOTATION') warn(w);
      },
    },
  },
  plugins: [tfjsWasmFiles()],
});
