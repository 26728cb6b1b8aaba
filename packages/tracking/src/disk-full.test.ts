import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// A disk that fills up after `budget` more file writes: every write past it fails with ENOSPC,
// as Node reports it (no path on a failed `write`).
const disk = vi.hoisted(() => ({ budget: Infinity }));
vi.mock('node:fs', async (original) => {
  const fs = await original<typeof import('node:fs')>();
  // Like a real full disk, the file is created (empty) before the write fails.
  const full = (path: unknown): never => {
    if (typeof path === 'string') fs.appendFileSync(path, '');
    throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      syscall: 'write',
      errno: -28,
    });
  };
  const guard =
    <A extends unknown[], R>(f: (...a: A) => R) =>
    (...a: A): R =>
      disk.budget-- <= 0 ? full(a[0]) : f(...a);
  return { ...fs, writeFileSync: guard(fs.writeFileSync), appendFileSync: guard(fs.appendFileSync) };
});

const { FileStore } = await import('./file-store.js');

/** Every file under `dir`, relative. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1));
}

describe('a full disk', () => {
  it('fails with the path it was writing and leaves no temp file and no half-made run', async () => {
    const store = new FileStore(join(mkdtempSync(join(tmpdir(), 'hs-full-')), 'mlruns'));
    const exp = await store.getOrCreateExperiment('e');
    const run = await store.createRun(exp);
    const before = files(store.root);
    for (let budget = 0; budget < 4; budget++) {
      disk.budget = budget;
      const e = (await store.createRun(exp, { tags: { a: '1', b: '2' } }).catch((x: unknown) => x)) as
        | NodeJS.ErrnoException
        | { runId: string };
      disk.budget = Infinity;
      if ('runId' in e) continue;
      expect(e.code).toBe('ENOSPC');
      expect(e.path).toMatch(/mlruns\/\d+\/[0-9a-f]{32}\/(meta\.yaml|tags\/)/);
    }
    disk.budget = 0;
    const e2 = (await store.setTags(run.runId, { t: 'v' }).catch((x: unknown) => x)) as NodeJS.ErrnoException;
    const e3 = (await store
      .logMetrics(run.runId, [{ key: 'loss', value: 1, step: 1 }])
      .catch((x: unknown) => x)) as NodeJS.ErrnoException;
    disk.budget = Infinity;
    expect(e2.path).toMatch(/tags\/t$/);
    expect(e3.path).toMatch(/metrics\/loss$/);
    // No temp files, and the only run folder is the whole one.
    const after = files(store.root);
    expect(after.filter((f) => f.includes('.tmp-'))).toEqual([]);
    // (the failed metric append may leave an empty metric file, as a real full disk does)
    expect(after.filter((f) => !before.includes(f) && !f.endsWith('metrics/loss'))).toEqual([]);
    expect(readdirSync(join(store.root, exp)).sort()).toEqual(['meta.yaml', run.runId].sort());
  });
});
