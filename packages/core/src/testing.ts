// Test and bench helpers shared by the packages of this repository (subpath /internal/testing):
// not part of the public API; their signatures may change in any release.
import * as tf from '@tensorflow/tfjs-core';
import { initRuntime, type BackendName } from './runtime.js';

/** Backends every numeric test runs on (tfjs `describeWithFlags` in spirit). */
export const TEST_BACKENDS: BackendName[] = ['cpu', 'wasm'];

/** Switches the global tfjs backend for the tests of one `describe` block. */
export async function useBackend(name: BackendName): Promise<void> {
  await initRuntime({ backend: name });
}

/** Largest |a-b| / max(1, |b|) over two equally shaped arrays. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!));
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return m;
}

/** Data of a tensor as a plain Float32Array, disposing nothing. */
export function values(t: tf.Tensor): Float32Array {
  return t.dataSync() as Float32Array;
}

/** Median wall time in ms of `reps` calls of `fn` after one warm-up call (for bench scripts). */
export async function medianMs(fn: () => unknown, reps: number): Promise<number> {
  await fn();
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return [...ms].sort((a, b) => a - b)[Math.floor(ms.length / 2)]!;
}

/**
 * Fails unless `<pkg>/src/simd/<name>.generated.ts` is what `<pkg>/assembly/<name>.ts` compiles to
 * now (`pkg` from the repository root; see scripts/build-wasm.mjs): an edit of the AssemblyScript
 * source must be rebuilt before it ships.
 */
export async function expectEmbeddedWasmFresh(pkg: string, name: string): Promise<void> {
  const { spawnSync } = await import('node:child_process');
  const { fileURLToPath } = await import('node:url');
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const r = spawnSync(process.execPath, ['scripts/build-wasm.mjs', pkg, '--only', name, '--check'], {
    encoding: 'utf8',
    cwd: root,
  });
  if (r.status !== 0) throw new Error(`embedded wasm check failed: ${r.stderr || r.error?.message}`);
}

/**
 * The documentation an editor shows on hover for properties of an exported type, read from the
 * package's emitted declarations (what users of `dist` see), not its sources: emits the `.d.ts`
 * files of the package in `pkgDir` into `.vitest/dts`, then asks TypeScript's language service
 * for the quick info of each property of `typeName` (exported from `index`). Property -> docs.
 */
export async function docsInDist(
  pkgDir: string,
  typeName: string,
  properties: string[],
): Promise<Record<string, string>> {
  const { execFileSync } = await import('node:child_process');
  const { createRequire } = await import('node:module');
  const { join } = await import('node:path');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const ts = (await import('typescript')).default;
  const out = join(pkgDir, '.vitest', 'dts');
  const tsc = createRequire(join(pkgDir, 'package.json')).resolve('typescript/bin/tsc');
  execFileSync(
    process.execPath,
    [
      tsc,
      '-p',
      join(pkgDir, 'tsconfig.build.json'),
      '--emitDeclarationOnly',
      '--declarationMap',
      'false',
      '--outDir',
      out,
    ],
    { stdio: 'pipe' },
  );
  mkdirSync(out, { recursive: true });
  const use = join(out, 'hover-probe.ts');
  const text = `import type { ${typeName} } from './index.js';\nconst o: Required<${typeName}> = null!;\nvoid [${properties.map((p) => `o.${p}`).join(', ')}];\n`;
  writeFileSync(use, text);
  const host: import('typescript').LanguageServiceHost = {
    getScriptFileNames: () => [use],
    getScriptVersion: () => '1',
    getScriptSnapshot: (f) =>
      ts.sys.fileExists(f) ? ts.ScriptSnapshot.fromString(ts.sys.readFile(f)!) : undefined,
    getCurrentDirectory: () => out,
    getCompilationSettings: () => ({
      module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext,
      strict: true,
      skipLibCheck: true,
    }),
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
  };
  const ls = ts.createLanguageService(host);
  const docs: Record<string, string> = {};
  for (const p of properties) {
    const q = ls.getQuickInfoAtPosition(use, text.indexOf(`o.${p}`) + 2);
    docs[p] = ts.displayPartsToString(q?.documentation ?? []);
  }
  return docs;
}
