// Every ```ts block in the READMEs and tutorials is type-checked as a module of its own, against the
// packages as a user imports them: a renamed export or a missing `await` breaks this test, not a user.
// A block that is a fragment on purpose starts with the line `// fragment` and is skipped. The
// tutorials (docs/tutorials/) also run, each in a fresh folder.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const examples = fileURLToPath(new URL('..', import.meta.url));
const root = join(examples, '..');
const out = join(examples, '.doc-snippets');
const requireHere = createRequire(join(examples, 'package.json'));

/** The Markdown files whose TypeScript a user copies. */
function docFiles(): string[] {
  const inDir = (dir: string, name: (e: string) => string): string[] =>
    existsSync(join(root, dir)) ? readdirSync(join(root, dir)).map((e) => join(dir, name(e))) : [];
  return [
    'README.md',
    ...inDir('packages', (p) => `${p}/README.md`),
    ...inDir('apps', (p) => `${p}/README.md`),
    ...inDir('docs/tutorials', (f) => f),
  ].filter((f) => f.endsWith('.md') && existsSync(join(root, f)));
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

/** A tutorial block that runs in Node (the page's script); `// browser` blocks only type-check. */
const isTutorialScript = (s: Snippet) =>
  s.file.startsWith('docs/tutorials/') && !s.code.startsWith('// browser');

/**
 * What gets type-checked: every README block alone; a tutorial's blocks joined into one script (they
 * build on each other), except `// browser` blocks, which stand alone.
 */
function modules(snippets: Snippet[]): Snippet[] {
  const joined = new Map<string, Snippet>();
  for (const s of snippets.filter(isTutorialScript)) {
    const j = joined.get(s.file);
    if (j) j.code += `\n${s.code}`;
    else joined.set(s.file, { ...s, code: s.code });
  }
  return [...snippets.filter((s) => !isTutorialScript(s)), ...joined.values()];
}

const nameOf = (s: Snippet) => `${s.file.replace(/[/.]/g, '_')}_L${s.line}.ts`;

/** Writes a snippet as a module file and returns its path; `export {}` makes a block without
 * imports a module, so top-level await is allowed. */
function writeModule(s: Snippet): string {
  mkdirSync(out, { recursive: true });
  const path = join(out, nameOf(s));
  writeFileSync(path, `${s.code}\nexport {};\n`);
  return path;
}

describe('code in the docs', () => {
  const files = docFiles();
  const snippets = modules(files.flatMap((f) => tsBlocks(f, readFileSync(join(root, f), 'utf8'))));

  it('finds the blocks of every package README and of the four tutorials', () => {
    const withCode = new Set(snippets.map((s) => s.file));
    for (const p of ['core', 'encoders', 'neurons', 'blocks', 'trainer', 'onnx'])
      expect(withCode).toContain(`packages/${p}/README.md`);
    expect(files.filter((f) => f.startsWith('docs/tutorials/')).length).toBe(4);
  });

  it('type-checks every block as a user module', () => {
    rmSync(out, { recursive: true, force: true });
    const names = new Map<string, Snippet>();
    for (const s of snippets) {
      names.set(nameOf(s), s);
      writeModule(s);
    }
    writeFileSync(
      join(out, 'tsconfig.json'),
      JSON.stringify({
        extends: '../../tsconfig.base.json',
        compilerOptions: { noEmit: true, noUnusedLocals: false },
        include: ['*.ts'],
      }),
    );
    const tsc = requireHere.resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', out, '--pretty', 'false'], { encoding: 'utf8' });
    // Name each error by the Markdown file and line a reader would edit (tutorials: the joined script).
    const errors = (r.stdout + r.stderr)
      .split('\n')
      .filter((l) => l.includes('error TS'))
      .map((l) => {
        const m = /^(?:.*[/\\])?([^/\\(]+\.ts)\((\d+),\d+\): (.*)$/.exec(l);
        const s = m && names.get(m[1]!);
        if (!s) return relative(root, l);
        return s.file.startsWith('docs/')
          ? `${s.file} (script line ${m[2]}): ${m[3]}`
          : `${s.file}:${s.line + Number(m[2]) - 1}: ${m[3]}`;
      });
    expect(errors).toEqual([]);
    expect(r.status).toBe(0);
  }, 120_000);

  const cli = join(root, 'apps/experiments/bin/hybridspike.mjs');
  // tsx from examples/, by URL: the scripts run from a folder with no node_modules.
  const tsx = pathToFileURL(requireHere.resolve('tsx')).href;
  const env = { ...process.env, HYBRIDSPIKE_QUIET: '1' };
  for (const tutorial of snippets.filter(isTutorialScript))
    it(`${tutorial.file} runs as written`, () => {
      // A fresh folder, as a reader starts in; a tutorial's sweep file runs there first.
      const cwd = mkdtempSync(join(tmpdir(), 'hs-tutorial-'));
      const text = readFileSync(join(root, tutorial.file), 'utf8');
      const sweep = /^```yaml\n([\s\S]*?)^```/m.exec(text)?.[1];
      if (sweep) {
        writeFileSync(join(cwd, 'sweep.yaml'), sweep);
        const r = spawnSync(process.execPath, [cli, 'sweep', 'sweep.yaml'], { cwd, encoding: 'utf8', env });
        expect(r.status, r.stderr.slice(-2000)).toBe(0);
      }
      const script = writeModule(tutorial);
      const r = spawnSync(process.execPath, ['--conditions=@hybridspike/source', '--import', tsx, script], {
        cwd,
        encoding: 'utf8',
        env,
      });
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
      expect(r.stdout.trim().split('\n').length).toBeGreaterThan(1);
    }, 300_000);
});
