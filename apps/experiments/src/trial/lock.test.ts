import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lockTrial } from './lock.js';

describe('trial lock', () => {
  const path = () => join(mkdtempSync(join(tmpdir(), 'hs-lock-')), 'trial.lock');

  it('is exclusive while held and free again once released', () => {
    const p = path();
    const a = lockTrial(p);
    expect(a.acquired).toBe(true);
    expect(JSON.parse(readFileSync(p, 'utf8'))).toMatchObject({ pid: process.pid, host: hostname() });
    const b = lockTrial(p);
    expect(b).toEqual({ acquired: false, owner: expect.objectContaining({ pid: process.pid }) });
    if (a.acquired) a.release();
    expect(existsSync(p)).toBe(false);
    expect(lockTrial(p).acquired).toBe(true);
  });

  it('takes over a lock left by a dead process on this host; keeps one from another host', () => {
    const p = path();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(p, JSON.stringify({ pid: dead, host: hostname(), startedAt: '2026-01-01T00:00:00Z' }));
    const taken = lockTrial(p);
    expect(taken.acquired).toBe(true);
    expect(JSON.parse(readFileSync(p, 'utf8')).pid).toBe(process.pid);
    const q = path();
    writeFileSync(q, JSON.stringify({ pid: dead, host: 'elsewhere', startedAt: '2026-01-01T00:00:00Z' }));
    expect(lockTrial(q)).toEqual({
      acquired: false,
      owner: { pid: dead, host: 'elsewhere', startedAt: '2026-01-01T00:00:00Z' },
    });
  });
});
