import { z } from 'zod';
import { sweepFile, trialConfig } from './config.js';

/**
 * The JSON Schema of sweep files, from the zod schemas the CLI validates with (the base is a
 * trial config with every key optional), so that editors complete and check keys. The bundled
 * sweeps point to `experiments/sweep.schema.json` with a `yaml-language-server` comment; a test
 * keeps that file equal to this.
 */
export function sweepJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(sweepFile.extend({ base: trialConfig.partial() }), {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://hybridspike.dev/schemas/sweep.schema.json',
    title: 'hybridspike sweep file',
    description:
      'A base trial config and the axes that vary (grid: the product of value lists; list: explicit trials), repeated over seeds. Components (encoder, neuron, model, ...) take a registered name or { name, ...options }.',
  };
}

/** Up to three of `candidates` close to `key` (edit distance), best first: for "did you mean". */
export function closeKeys(key: string, candidates: string[]): string[] {
  const d = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const tmp = row[j]!;
        row[j] = Math.min(
          row[j]! + 1,
          row[j - 1]! + 1,
          prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1),
        );
        prev = tmp;
      }
    }
    return row[b.length]!;
  };
  return candidates
    .map((c) => ({ c, dist: d(key, c) }))
    .filter((x) => x.dist <= Math.max(2, Math.floor(key.length / 3)))
    .sort((x, y) => x.dist - y.dist)
    .slice(0, 3)
    .map((x) => x.c);
}

type JsonNode = { properties?: Record<string, JsonNode>; anyOf?: JsonNode[] };

/** The keys a sweep file may hold at `path` (e.g. `['base', 'train']`), from its JSON Schema. */
export function keysAt(path: (string | number)[]): string[] {
  let node: JsonNode | undefined = sweepJsonSchema() as JsonNode;
  const props = (n: JsonNode | undefined) => n?.properties ?? n?.anyOf?.find((a) => a.properties)?.properties;
  for (const p of path) node = props(node)?.[String(p)];
  return Object.keys(props(node) ?? {});
}
