import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeError } from './describe-error.js';

const errno = (code: string, syscall: string, path: string) =>
  Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, syscall, path });

describe('describeError', () => {
  it('says read-only / permission denied with the path, not a bare ENOENT', () => {
    expect(describeError(errno('EROFS', 'mkdir', '/ro/mlruns'))).toBe(
      'read-only file system: cannot create the folder /ro/mlruns; choose a writable folder (--root, --out).',
    );
    expect(describeError(errno('EACCES', 'open', '/locked/x.onnx'))).toMatch(
      /^permission denied: cannot write or read \/locked\/x\.onnx; .*fix its permissions/,
    );
    expect(describeError(errno('ENOSPC', 'open', '/full/x'))).toMatch(/no space left/);
  });

  it('describes a real missing folder, also when wrapped as a cause', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-err-'));
    let caught: unknown;
    try {
      writeFileSync(join(dir, 'missing', 'model.onnx'), 'x');
    } catch (e) {
      caught = e;
    }
    expect(describeError(caught)).toBe(
      `no such file or folder: cannot write or read ${join(dir, 'missing', 'model.onnx')}; check the path (relative paths are resolved against the folder the command was run in).`,
    );
    expect(describeError(new Error('wrapped', { cause: caught }))).toMatch(/^no such file or folder/);
    expect(describeError(new Error('plain'))).toBe('plain');
  });
});
