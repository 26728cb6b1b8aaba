import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const HYBRIDSPIKE_PACKAGES = [
  'core',
  'encoders',
  'neurons',
  'blocks',
  'data',
  'trainer',
  'onnx',
  'tracking',
].map((p) => `@hybridspike/${p}`);

/** Versions of every @hybridspike package this process runs. */
export function packageVersions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of HYBRIDSPIKE_PACKAGES) {
    try {
      out[name] = (
        JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }
      ).version;
    } catch {
      out[name] = 'missing';
    }
  }
  return out;
}

/** The git commit of the working directory, with `-dirty` when it has changes; null outside git. */
export function gitSha(cwd = process.cwd()): string | null {
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
    })
      .toString()
      .trim();
    return dirty ? `${sha}-dirty` : sha;
  } catch {
    return null;
  }
}
