#!/usr/bin/env node
// Builds the oneDNN addon (build/hybridspike_native.node) from csrc/ when a C++ compiler and
// oneDNN's headers are found; otherwise says in one line why it was skipped and exits 0, so that
// installs never fail and everything runs on the wasm kernels. Downloads nothing: the Node-API
// headers come from the npm package node-api-headers. `--strict` fails instead of skipping.
//   HYBRIDSPIKE_NATIVE=0   skip the build          CXX          the compiler (default g++)
//   DNNL_ROOT              oneDNN's prefix (its include/ and lib/)
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(pkg, 'build', 'hybridspike_native.node');
const sources = readdirSync(join(pkg, 'csrc'))
  .filter((f) => f.endsWith('.cc'))
  .map((f) => join(pkg, 'csrc', f));
const strict = process.argv.includes('--strict');

function skip(why) {
  console.error(`[hybridspike] native kernels skipped: ${why}; everything runs on the wasm kernels.`);
  process.exit(strict ? 1 : 0);
}

if (process.env.HYBRIDSPIKE_NATIVE === '0') skip('HYBRIDSPIKE_NATIVE=0');
if (process.platform === 'win32') skip('Windows builds are not set up yet');
// Up to date: the addon is newer than every source.
if (existsSync(out) && sources.every((s) => statSync(s).mtimeMs <= statSync(out).mtimeMs)) process.exit(0);

const cxx = process.env.CXX || 'g++';
if (spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status !== 0)
  skip(`no C++ compiler ('${cxx}'; apt-get install g++, or set CXX)`);

const prefixes = [
  process.env.DNNL_ROOT,
  '/usr',
  '/usr/local',
  '/opt/homebrew',
  '/usr/local/opt/onednn',
  '/opt/intel/oneapi/dnnl/latest',
].filter(Boolean);
const prefix = prefixes.find((p) => existsSync(join(p, 'include', 'oneapi', 'dnnl', 'dnnl.hpp')));
if (!prefix)
  skip(
    "oneDNN's headers were not found (Debian/Ubuntu: apt-get install libdnnl-dev; Fedora: dnf install onednn-devel; macOS: brew install onednn; or set DNNL_ROOT)",
  );

let napiInclude;
try {
  napiInclude = join(
    dirname(createRequire(import.meta.url).resolve('node-api-headers/package.json')),
    'include',
  );
} catch {
  skip('the npm package node-api-headers is missing');
}

const lib = ['lib', 'lib64', 'lib/x86_64-linux-gnu', 'lib/aarch64-linux-gnu']
  .map((d) => join(prefix, d))
  .filter(existsSync);
const flags = [
  '-O3',
  '-std=c++17',
  '-shared',
  '-fPIC',
  '-fopenmp',
  '-fvisibility=hidden',
  `-I${napiInclude}`,
  `-I${join(prefix, 'include')}`,
  ...lib.map((d) => `-L${d}`),
  ...(process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : []),
  ...sources,
  '-ldnnl',
];
mkdirSync(dirname(out), { recursive: true });
const tmp = `${out}.tmp-${process.pid}`;
try {
  execFileSync(cxx, [...flags, ...(prefix === '/usr' ? [] : [`-Wl,-rpath,${lib[0]}`]), '-o', tmp], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
} catch (e) {
  rmSync(tmp, { force: true });
  const msg =
    String(e.stderr ?? e.message)
      .split('\n')
      .find((l) => /error/.test(l)) ?? 'see the compiler output';
  skip(`the addon did not compile with ${cxx} against ${prefix} (${msg.trim()})`);
}
renameSync(tmp, out);
console.error(`[hybridspike] native kernels built: ${out} (oneDNN from ${prefix})`);
