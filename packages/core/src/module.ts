import * as tf from '@tensorflow/tfjs-core';
import { HybridSpikeError } from './errors.js';

/** A random stream whose state a checkpoint keeps, so a resumed run draws the same numbers. */
export interface RandomStream {
  /** The stream's state, to store in a checkpoint. */
  getRngState(): number[];
  /** Continues from a stored state: the next draws equal those of the uninterrupted run. */
  setRngState(state: number[]): void;
}

/**
 * A node of the model tree, PyTorch style: owns named trainable {@link Module.parameters},
 * non-trainable buffers (BatchNorm running statistics), child modules, a `training` flag and
 * neuron state. Names are dotted paths (`blocks.0.snn.conv.weight`) used by checkpoints,
 * ONNX initialisers and parameter counts alike.
 *
 * @example
 * ```ts
 * class Scale extends Module {
 *   readonly w = this.addParameter('w', tf.ones([1]));
 *   forward(x: tf.Tensor) { return tf.mul(x, this.w); }
 * }
 * ```
 */
export abstract class Module {
  /** True in training mode (BatchNorm uses batch statistics, dropout is active). */
  training = true;
  private readonly ownParams = new Map<string, tf.Variable>();
  private readonly ownBuffers = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module>();

  /** Runs the module; tensors in, tensor out. */
  abstract forward(x: tf.Tensor): tf.Tensor;

  /** Short type name shown in errors and summaries. */
  get typeName(): string {
    return this.constructor.name;
  }

  /** Adds a trainable parameter that this module owns (the tensor is kept, not copied). */
  protected addParameter(name: string, value: tf.Tensor): tf.Variable {
    this.checkFreeName(name);
    const v = tf.variable(value, true);
    if (v !== (value as unknown)) value.dispose();
    this.ownParams.set(name, v);
    return v;
  }

  /** Adds a non-trainable state tensor saved in checkpoints (e.g. BatchNorm running mean). */
  protected addBuffer(name: string, value: tf.Tensor): tf.Variable {
    this.checkFreeName(name);
    const v = tf.variable(value, false);
    value.dispose();
    this.ownBuffers.set(name, v);
    return v;
  }

  /** Adds a child module under `name` and returns it. */
  protected addModule<M extends Module>(name: string, child: M): M {
    this.checkFreeName(name);
    this.children.set(name, child);
    return child;
  }

  private checkFreeName(name: string): void {
    if (!/^[A-Za-z0-9_]+$/.test(name)) {
      throw new HybridSpikeError(
        'BAD_ARGUMENT',
        `module member name '${name}' must be letters, digits or '_' (dots separate paths).`,
      );
    }
    if (this.ownParams.has(name) || this.ownBuffers.has(name) || this.children.has(name)) {
      throw new HybridSpikeError('DUPLICATE', `${this.typeName} already has a member named '${name}'.`);
    }
  }

  /** Direct children in insertion order. */
  namedChildren(): Map<string, Module> {
    return new Map(this.children);
  }

  /** This module and every descendant, keyed by dotted path ('' is this module). */
  namedModules(prefix = ''): Map<string, Module> {
    const out = new Map<string, Module>([[prefix, this]]);
    for (const [name, child] of this.children) {
      for (const [p, m] of child.namedModules(prefix ? `${prefix}.${name}` : name)) out.set(p, m);
    }
    return out;
  }

  /** Every trainable parameter of the tree, keyed by dotted path. */
  parameters(): Map<string, tf.Variable> {
    return this.collect((m) => m.ownParams);
  }

  /** Every buffer of the tree, keyed by dotted path. */
  buffers(): Map<string, tf.Variable> {
    return this.collect((m) => m.ownBuffers);
  }

  /** Parameters and buffers together: what a checkpoint stores. */
  stateDict(): Map<string, tf.Variable> {
    return new Map([...this.parameters(), ...this.buffers()]);
  }

  private collect(pick: (m: Module) => Map<string, tf.Variable>): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [path, m] of this.namedModules()) {
      for (const [name, v] of pick(m)) out.set(path ? `${path}.${name}` : name, v);
    }
    return out;
  }

  /** Number of trainable scalars. */
  parameterCount(): number {
    let n = 0;
    for (const v of this.parameters().values()) n += v.size;
    return n;
  }

  /** Sets training mode on the whole tree. */
  train(on = true): this {
    for (const m of this.namedModules().values()) m.training = on;
    return this;
  }

  /** Sets evaluation mode on the whole tree. */
  eval(): this {
    return this.train(false);
  }

  /** Clears the state of every stateful module of the tree (membrane potentials). */
  resetState(): void {
    for (const m of this.namedModules().values()) m.onResetState();
  }

  /** Override in stateful modules: drop carried state. */
  protected onResetState(): void {}

  /**
   * The random streams the forward pass draws from (a rate encoder's), by dotted path: trainers
   * save them in checkpoints and restore them on resume.
   */
  randomStreams(): Map<string, RandomStream> {
    const out = new Map<string, RandomStream>();
    for (const [path, m] of this.namedModules())
      for (const [name, s] of m.ownRandomStreams()) out.set(path ? `${path}.${name}` : name, s);
    return out;
  }

  /** Override in modules that draw random numbers outside their children. */
  protected ownRandomStreams(): Map<string, RandomStream> {
    return new Map();
  }

  /**
   * What an export of this model records about it (its options, time steps), as string
   * metadata; exporters add it to their files. Override to describe a model.
   */
  exportMetadata(): Record<string, string> {
    return {};
  }

  /** Frees every parameter and buffer of the tree. */
  dispose(): void {
    for (const v of this.stateDict().values()) v.dispose();
  }
}
