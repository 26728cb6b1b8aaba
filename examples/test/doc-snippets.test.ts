// Every ```ts block in the READMEs and tutorials is type-checked as a module of its own, against the
// packages as a user imports them: a renamed export or a missing `await` breaks this test, not a user.
// A block that is a fragment on purpose starts with the line `// fragment` and is skipped.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const examples = fileURLToPath(new URL('..', import.meta.url));
const root = join(examples, '..');
const out = join(examples, '.doc-snippets');

/** The Markdown files whose TypeScript a user copies. */
function docFiles(): string[] {
  const inDir = (dir: string, name: (e: string) => string | undefined): string[] => {
    try {
      return readdirSync(join(root, dir))
        .map(name)
        .filter((f): f is string => f !== undefined)
        .map((f) => join(dir, f));
    } catch {
      return [];
    }
  };
  return [
    'README.md',
    ...inDir('packages', (p) => `${p}/README.md`),
    ...inDir('apps', (p) => `${p}/README.md`),
    ...inDir('docs/tutorials', (f) => (f.endsWith('.md') ? f : undefined)),
  ].filter((f) => {
    try {
      readFileSync(join(root, f));
      return true;
    } catch {
      return false;
    }
  });
}

interface Snippet {
  file: string;
  line: number;
  code: string;
}

/** The ```ts blocks of one Markdown text, with the line each starts on. */
export function tsBlocks(file: string, text: string): Snippet[] {
  const blocks: Snippet[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(ts|typescript)\s*$/.test(lines[i]!)) continue;
    const start = i + 1;
    while (++i < lines.length && !lines[i]!.startsWith('```'));
    const code = lines.slice(start, i).join('\n');
    if (!code.startsWith('// fragment')) blocks.push({ file, line: start + 1, code });
  }
  return blocks;
}

describe('code in the docs', () => {
  const snippets = docFiles().flatMap((f) => tsBlocks(f, readFileSync(join(root, f), 'utf8')));

  it('finds the blocks of every package README', () => {
    const files = new Set(snippets.map((s) => s.file));
    for (const p of ['core', 'encoders', 'neurons', 'blocks', 'trainer', 'onnx'])
      expect(files).toContain(`packages/${p}/README.md`);
  });

  it('type-checks every block as a user module', () => {
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const names = new Map<string, Snippet>();
    for (const s of snippets) {
      const name = `${s.file.replace(/[/.]/g, '_')}_L${s.line}.ts`;
      names.set(name, s);
      // `export {}` makes a block without imports a module, so top-level await is allowed.
      writeFileSync(join(out, name), `${s.code}\nexport {};\n`);
    }
    writeFileSync(
      join(out, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.base.json',
        compilerOptions: { noEmit: true, noUnusedLocals: false },
        include: ['*.ts'],
      }),
    );
    const tsc = createRequire(join(examples, 'package.json')).resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', out, '--pretty', 'false'], { encoding: 'utf8' });
    // Name each error by the Markdown file and line a reader would edit.
    const errors = (r.stdout + r.stderr)
      .split('\n')
      .filter((l) => l.includes('error TS'))
      .map((l) => {
        const m = /^(?:.*[/\\])?([^/\\(]+\.ts)\((\d+),\d+\): (.*)$/.exec(l);
        const s = m && names.get(m[1]!);
        return s ? `${s.file}:${s.line + Number(m[2]) - 1}: ${m[3]}` : relative(root, l);
      });
    expect(errors).toEqual([]);
    expect(r.status).toBe(0);
  }, 120_000);
});
