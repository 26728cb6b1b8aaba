// Every example script runs as a user would run it, and prints what its comment promises: docs
// that cannot rot.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dir = fileURLToPath(new URL('..', import.meta.url));
const expected: Record<string, RegExp> = {
  'encode-and-spike.ts':
    /planes 8x1x2x2x1 decoded 0\.000,0\.247,0\.498,1\.000\nLIF firing rate 0\.\d+ spikes \d+/,
  'train-hybrid.ts': /train loss \d+\.\d+\ntest accuracy 0\.\d+/,
  'export-and-predict.ts': /onnxruntime classes (\d+,\d+) tfjs classes \1/,
  'nir-roundtrip.ts': /nir nodes \d+ max \|dlogit\| \d\.\de-\d+|nir nodes \d+ max \|dlogit\| 0\.0e\+0/,
};

describe('examples/', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.config.ts'));
  it('has an expectation for every example', () =>
    expect(files.sort()).toEqual(Object.keys(expected).sort()));
  for (const f of files)
    it(`${f} runs and prints what it says`, () => {
      const r = spawnSync(process.execPath, ['--conditions=@hybridspike/source', '--import', 'tsx', f], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, HYBRIDSPIKE_QUIET: '1' },
        timeout: 120_000,
      });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(expected[f]!);
    }, 120_000);
});
