import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sweepFile as sweepOf } from './__tests__/sweeps.js';
import { REPO_ROOT } from './paths.js';
import { loadSweep } from './sweep.js';
import { closeKeys, keysAt, sweepJsonSchema } from './sweep-schema.js';

describe('the JSON Schema of sweep files', () => {
  it('is what experiments/sweep.schema.json holds, and every bundled sweep (experiments/*/sweep.yaml) points to it', () => {
    const committed = JSON.parse(readFileSync(`${REPO_ROOT}experiments/sweep.schema.json`, 'utf8'));
    expect(committed).toEqual(sweepJsonSchema());
    const bundled = readdirSync(`${REPO_ROOT}experiments`, { withFileTypes: true }).filter((d) =>
      d.isDirectory(),
    );
    expect(bundled.length).toBeGreaterThanOrEqual(4);
    for (const { name } of bundled)
      expect(readFileSync(`${REPO_ROOT}experiments/${name}/sweep.yaml`, 'utf8').split('\n')[0]).toBe(
        '# yaml-language-server: $schema=../sweep.schema.json',
      );
    expect(keysAt([])).toEqual(expect.arrayContaining(['name', 'base', 'axes', 'seeds', 'best']));
    expect(keysAt(['base', 'train'])).toEqual(['epochs', 'batchSize', 'optimizer', 'schedule']);
  });

  it('names a misspelt key with the keys it was probably meant to be', () => {
    expect(closeKeys('trian', ['train', 'seed', 'data'])).toEqual(['train']);
    expect(closeKeys('zzzz', ['train', 'seed'])).toEqual([]);
    const f = sweepOf(`name: bad\nbase:\n  trian: { epochs: 1 }\n  data: { sise: 8 }\nseedz: [1]\n`);
    let e = '';
    try {
      loadSweep(f);
    } catch (x) {
      e = String(x);
    }
    expect(e).toMatch(/'seedz': Unrecognized key.* \(did you mean 'seeds' for 'seedz'\?\)/);
    // Inside the base too (checked once the top level passes).
    const g = sweepOf(`name: bad\nbase:\n  trian: { epochs: 1 }\n`);
    let e2 = '';
    try {
      loadSweep(g);
    } catch (x) {
      e2 = String(x);
    }
    expect(e2).toMatch(/'base\.trian': Unrecognized key.* \(did you mean 'train' for 'trian'\?\)/);
  });
});
