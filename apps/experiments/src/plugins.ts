import { HybridSpikeError } from '@hybridspike/core';
import '@hybridspike/encoders/plugin';
import '@hybridspike/neurons/plugin';
import '@hybridspike/blocks/plugin';
import '@hybridspike/data/plugin';
import '@hybridspike/trainer/plugin';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Imports third-party plugin packages (resolved from `fromDir`, then from here); returns name -> version. */
export async function loadPlugins(names: string[], fromDir = process.cwd()): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const name of names) {
    let entry: string | undefined;
    for (const base of [
      resolve(fromDir, 'package.json'),
      join(process.cwd(), 'package.json'),
      import.meta.url,
    ]) {
      try {
        entry = createRequire(base).resolve(name);
        break;
      } catch {
        /* try the next base */
      }
    }
    if (!entry)
      throw new HybridSpikeError(
        'UNKNOWN_COMPONENT',
        `plugin '${name}' is not installed (looked from ${fromDir} and ${process.cwd()}); add it with 'pnpm add ${name}'.`,
      );
    await import(pathToFileURL(entry).href);
    versions[name] = findVersion(entry, name);
  }
  return versions;
}

function findVersion(entry: string, name: string): string {
  let dir = dirname(entry);
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === name) return pkg.version ?? 'unknown';
    } catch {
      /* keep walking up */
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
