import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { invokingDir, REPO_ROOT, repoRelative, userPath } from './paths.js';

describe('paths the user typed', () => {
  const saved = { event: process.env.npm_lifecycle_event, init: process.env.INIT_CWD };
  afterEach(() => {
    process.env.npm_lifecycle_event = saved.event;
    process.env.INIT_CWD = saved.init;
    if (saved.event === undefined) delete process.env.npm_lifecycle_event;
    if (saved.init === undefined) delete process.env.INIT_CWD;
  });

  it('resolves against INIT_CWD under `pnpm hybridspike` (run from the repo root), else the cwd', () => {
    process.env.npm_lifecycle_event = 'hybridspike';
    process.env.INIT_CWD = '/home/me/work/experiments';
    expect(invokingDir()).toBe('/home/me/work/experiments');
    expect(userPath('tiny.yaml')).toBe('/home/me/work/experiments/tiny.yaml');
    expect(userPath('/abs/x.yaml')).toBe('/abs/x.yaml');
    // a turbo task (another script) runs in its package folder: INIT_CWD is not where it stands
    process.env.npm_lifecycle_event = 'sweep';
    expect(userPath('x.yaml')).toBe(join(process.cwd(), 'x.yaml'));
  });

  it('makes scheduler paths relative to the checkout', () => {
    expect(repoRelative(join(REPO_ROOT, 'experiments', 'quick', 'sweep.yaml'))).toBe(
      'experiments/quick/sweep.yaml',
    );
  });
});
