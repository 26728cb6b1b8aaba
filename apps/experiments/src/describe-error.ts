/** What a failed file operation was doing, in words. */
const DOING: Record<string, string> = {
  open: 'write or read',
  mkdir: 'create the folder',
  rename: 'move a file into',
  unlink: 'delete',
  rmdir: 'delete the folder',
  scandir: 'list',
  copyfile: 'copy to',
};

/**
 * A one-line message for an error that reaches the CLI: file-system errors say what failed on
 * which path and what to do (read-only, permission denied, missing folder, full disk) instead of
 * Node's bare `EACCES: permission denied, mkdir '...'`.
 */
export function describeError(e: unknown): string {
  const err = (
    (e as { cause?: unknown })?.cause && typeof (e as { cause: { code?: unknown } }).cause.code === 'string'
      ? (e as { cause: unknown }).cause
      : e
  ) as NodeJS.ErrnoException & { dest?: string };
  const path = err.path ?? err.dest;
  const doing = DOING[err.syscall ?? ''] ?? err.syscall ?? 'use';
  switch (err.code) {
    case 'EROFS':
      return `read-only file system: cannot ${doing} ${path}; choose a writable folder (--root, --out).`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied: cannot ${doing} ${path}; the folder is not writable (or readable) by this user; choose another (--root, --out) or fix its permissions.`;
    case 'ENOENT':
      return `no such file or folder: cannot ${doing} ${path}; check the path (relative paths are resolved against the folder the command was run in).`;
    case 'ENOSPC':
      return `no space left on the device while trying to ${doing} ${path}.`;
    case 'ENOTDIR':
      return `not a folder: a file stands where a folder is needed in ${path}.`;
    default:
      return (e as Error)?.message ?? String(e);
  }
}
