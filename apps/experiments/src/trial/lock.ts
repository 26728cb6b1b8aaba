import { closeSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

/** Who holds a trial's lock. */
export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
}

export type LockResult = { acquired: true; release: () => void } | { acquired: false; owner: LockOwner };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function read(path: string): { text: string; owner: LockOwner | null } | null {
  try {
    const text = readFileSync(path, 'utf8');
    try {
      return { text, owner: JSON.parse(text) as LockOwner };
    } catch {
      return { text, owner: null };
    }
  } catch {
    return null;
  }
}

function create(path: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    writeSync(
      fd,
      JSON.stringify({
        pid: process.pid,
        host: hostname(),
        startedAt: new Date().toISOString(),
      } satisfies LockOwner),
    );
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * An exclusive lock file (created with O_EXCL, holding pid, host and start time), so that two
 * sweeps, `--parallel` workers or scheduler array tasks sharing a folder never run one trial at
 * once. A lock left by a dead process on this host is taken over; one held by a live process, or
 * by another host (whose processes this one cannot see), is reported with its owner.
 */
export function lockTrial(path: string): LockResult {
  mkdirSync(dirname(path), { recursive: true });
  const release = () => {
    const now = read(path);
    if (now?.owner?.pid === process.pid && now.owner.host === hostname()) unlinkSync(path);
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (create(path)) return { acquired: true, release };
    const seen = read(path);
    if (!seen) continue; // released meanwhile: try again
    const owner = seen.owner;
    const stale = !owner || (owner.host === hostname() && !alive(owner.pid));
    if (!stale) return { acquired: false, owner };
    // Move the stale lock aside under a unique name; only if it is still the one we judged stale
    // (another process may have taken it over meanwhile) do we drop it and retry.
    const aside = `${path}.stale-${process.pid}-${attempt}`;
    try {
      renameSync(path, aside);
    } catch {
      continue;
    }
    const moved = read(aside);
    if (moved && moved.text !== seen.text) {
      renameSync(aside, path);
      continue;
    }
    unlinkSync(aside);
  }
  const last = read(path)?.owner;
  return { acquired: false, owner: last ?? { pid: -1, host: 'unknown', startedAt: '' } };
}
