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

/** npm's rule for a package name, scoped or not: never a path, a URL or a file. */
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]{0,213}$/;

/** Throws unless `name` is an npm package name (plugins load by package name only). */
export function checkPluginName(name: string, where: string): void {
  if (typeof name !== 'string' || !PACKAGE_NAME.test(name))
    throw new HybridSpikeError(
      'UNKNOWN_COMPONENT',
      `${where} names plugin '${String(name).slice(0, 120)}', which is not an npm package name; plugins load by package name only (never a path or URL).`,
    );
}

/**
 * Imports third-party plugin packages by name; returns name -> version. They resolve from
 * `fromDir` and the current folder (the user's project), and, unless `projectOnly`, from this
 * CLI's own dependencies.
 */
export async function loadPlugins(
  names: string[],
  fromDir = process.cwd(),
  options: { projectOnly?: boolean } = {},
): Promise<Record<string, string>> {
  const versions: Record<string, string> = {};
  for (const name of names) checkPluginName(name, 'the plugin list');
  for (const name of names) {
    let entry: string | undefined;
    const bases = [resolve(fromDir, 'package.json'), join(process.cwd(), 'package.json')];
    if (!options.projectOnly) bases.push(import.meta.url);
    for (const base of bases) {
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
