import { z } from 'zod';
import { HybridSpikeError } from './errors.js';

/**
 * What each kind of component builds. Packages add their kinds by declaration merging:
 * ```ts
 * declare module '@hybridspike/core' { interface ComponentKinds { encoder: SpikeEncoder } }
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface ComponentKinds {}

/** The kinds the registry knows; unknown kinds are still allowed for third-party plugins. */
export type ComponentKind = keyof ComponentKinds extends never
  ? string
  : keyof ComponentKinds | (string & {});

/** What a component kind's factory makes (`encoder` -> `SpikeEncoder`, ...), `unknown` for plugin kinds. */
export type Product<K extends string> = K extends keyof ComponentKinds ? ComponentKinds[K] : unknown;

/** One registered component: its options schema and a factory. */
export interface ComponentEntry<K extends string = string, S extends z.ZodType = z.ZodType> {
  kind: K;
  name: string;
  /** Options (without `name`); an object schema, made strict so unknown keys are errors. */
  options: S;
  /** One line for `--help` and listings. */
  description?: string;
  /** Makes the component from options the schema has already checked. */
  create(options: z.output<S>): Product<K>;
}

/**
 * Schema of a component reference in configs: a registered name, or `{ name, ...options }`.
 * The one definition every package's option schemas use.
 */
export const componentRefSchema = z.union([z.string(), z.looseObject({ name: z.string() })]);

/** A component named with its options, as a config file writes it: `{ name: 'lif', tau: 2 }`. */
export interface ComponentRef {
  name: string;
  [option: string]: unknown;
}

function formatIssues(error: z.ZodError, where: string): string {
  return error.issues
    .map((i) => {
      const path = i.path.length ? i.path.join('.') : '(options)';
      const keys = 'keys' in i && Array.isArray(i.keys) ? ` ${JSON.stringify(i.keys)}` : '';
      return `${where}: option '${path}': ${i.message}${keys}`;
    })
    .join('; ');
}

/**
 * Validates `options` against a zod object schema made strict (unknown keys are errors),
 * applying defaults; failures name each bad option and where it was given.
 */
export function parseOptions<S extends z.ZodType>(schema: S, options: unknown, where: string): z.output<S> {
  const strict = schema instanceof z.ZodObject ? schema.strict() : schema;
  const result = strict.safeParse(options ?? {});
  if (!result.success) throw new HybridSpikeError('BAD_OPTIONS', formatIssues(result.error, where));
  return result.data as z.output<S>;
}

/** Kind + name -> factory with a validated options schema. One global instance: {@link registry}. */
export class Registry {
  private readonly entries = new Map<string, Map<string, ComponentEntry>>();

  /** Adds a component; a second component of the same kind and name is an error. */
  register<K extends string, S extends z.ZodType>(entry: ComponentEntry<K, S>): void {
    let byName = this.entries.get(entry.kind);
    if (!byName) this.entries.set(entry.kind, (byName = new Map()));
    if (byName.has(entry.name)) {
      throw new HybridSpikeError(
        'DUPLICATE',
        `${entry.kind} '${entry.name}' is already registered; pick another name.`,
      );
    }
    byName.set(entry.name, entry as unknown as ComponentEntry);
  }

  /** True when `kind:name` is registered. */
  has(kind: string, name: string): boolean {
    return this.entries.get(kind)?.has(name) ?? false;
  }

  /** Registered names of one kind, sorted. */
  names(kind: string): string[] {
    return [...(this.entries.get(kind)?.keys() ?? [])].sort();
  }

  /** Registered kinds, sorted. */
  kinds(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** The entry of `kind:name`; unknown names fail with the list of known ones. */
  get(kind: string, name: string): ComponentEntry {
    const entry = this.entries.get(kind)?.get(name);
    if (!entry) {
      const known = this.names(kind);
      throw new HybridSpikeError(
        'UNKNOWN_COMPONENT',
        `unknown ${kind} '${name}'. Registered ${kind}s: ${known.length ? known.join(', ') : '(none: import the package that provides them)'}.`,
      );
    }
    return entry;
  }

  /** Validates options of `kind:name` (defaults applied) without building anything. */
  parse(kind: string, ref: ComponentRef | string): { name: string; options: Record<string, unknown> } {
    const { name, ...rest } = typeof ref === 'string' ? { name: ref } : ref;
    if (typeof name !== 'string')
      throw new HybridSpikeError(
        'BAD_OPTIONS',
        `${kind} reference needs a string 'name', got ${JSON.stringify(ref)}.`,
      );
    const entry = this.get(kind, name);
    return {
      name,
      options: parseOptions(entry.options, rest, `${kind} '${name}'`) as Record<string, unknown>,
    };
  }

  /** Builds `kind:name` from a config reference such as `{ name: 'bitplane', alpha: 5 }`. */
  create<K extends ComponentKind>(kind: K, ref: ComponentRef | string): Product<K & string> {
    const { name, options } = this.parse(kind, ref);
    return this.get(kind, name).create(options) as Product<K & string>;
  }

  /**
   * Builds `kind:name` from the registry, or else from `builtins` (a package's own entries, so
   * that its components resolve by name with no registration side effect; its plugin entry
   * registers the same entries for plugins and listings). Unknown names fail listing both.
   */
  createFrom<K extends ComponentKind>(
    kind: K,
    ref: ComponentRef | string,
    builtins: readonly ComponentEntry[],
  ): Product<K & string> {
    const name = typeof ref === 'string' ? ref : ref?.name;
    const builtin = builtins.find((e) => e.kind === kind && e.name === name);
    if (typeof name !== 'string' || this.has(kind, name) || !builtin) {
      if (typeof name === 'string' && !this.has(kind, name) && !builtin) {
        const known = [
          ...new Set([...this.names(kind), ...builtins.filter((e) => e.kind === kind).map((e) => e.name)]),
        ].sort();
        throw new HybridSpikeError(
          'UNKNOWN_COMPONENT',
          `unknown ${kind} '${name}'. Registered ${kind}s: ${known.join(', ') || '(none)'}.`,
        );
      }
      return this.create(kind, ref);
    }
    const { name: _, ...rest } = typeof ref === 'string' ? { name } : ref;
    return builtin.create(parseOptions(builtin.options, rest, `${kind} '${name}'`)) as Product<K & string>;
  }

  /** Removes a component (for tests and hot reload). */
  unregister(kind: string, name: string): boolean {
    return this.entries.get(kind)?.delete(name) ?? false;
  }
}

/** The process-wide registry every hybridspike package registers into. */
export const registry = new Registry();

/** Registers `entry` unless the very same entry object is already there (safe on re-import). */
export function registerOnce<K extends string, S extends z.ZodType>(entry: ComponentEntry<K, S>): void {
  const existing = registry.has(entry.kind, entry.name) ? registry.get(entry.kind, entry.name) : undefined;
  if (existing && existing.create === (entry.create as unknown)) return;
  registry.register(entry);
}
