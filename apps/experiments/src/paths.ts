import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder the user typed the command in. `pnpm hybridspike ...` runs the root script from the
 * repository root and leaves the user's folder in INIT_CWD; anything else runs where it stands.
 */
export function invokingDir(): string {
  const viaRootScript = process.env.npm_lifecycle_event === 'hybridspike' && process.env.INIT_CWD;
  return viaRootScript ? process.env.INIT_CWD! : process.cwd();
}

/** A path the user gave, resolved against the folder they typed the command in. */
export function userPath(p: string): string {
  return isAbsolute(p) ? p : resolve(invokingDir(), p);
}

/** The checkout this CLI runs from (scheduler scripts run there, so paths are relative to it). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** `p` relative to the checkout, with `/` separators, for scripts that run inside it. */
export function repoRelative(p: string): string {
  return relative(REPO_ROOT, userPath(p)).split('\\').join('/');
}
