// The workspace's package folders, read from pnpm-workspace.yaml (`dir` and `dir/*` entries), with
// their package.json: one list for the test summary and the install-as-a-user check.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** `[{ dir, pkg }]` for every folder pnpm-workspace.yaml names that holds a package.json. */
export function workspacePackages(root = '.') {
  const globs = [];
  let inPackages = false;
  for (const line of readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8').split('\n')) {
    if (/^\S/.test(line)) inPackages = line.startsWith('packages:');
    const m = inPackages && /^\s+-\s+['"]?([^'"#\s]+)/.exec(line);
    if (m) globs.push(m[1]);
  }
  const dirs = globs.flatMap((g) => {
    if (!g.endsWith('/*')) return [g];
    const parent = g.slice(0, -2);
    return existsSync(join(root, parent)) ? readdirSync(join(root, parent)).map((n) => `${parent}/${n}`) : [];
  });
  return dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((dir) => ({ dir, pkg: JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) }));
}

// `node scripts/workspace-packages.mjs --publishable`: the folders a release publishes, one a line.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && process.argv[2] === '--publishable')
  for (const { dir, pkg } of workspacePackages()) if (!pkg.private) console.log(dir);
