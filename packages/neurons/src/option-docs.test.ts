import { docsInDist } from '@hybridspike/core/internal/testing';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('neuron option docs', () => {
  it('are written once, on the schema fields, and editors show them from dist', async () => {
    const pkg = fileURLToPath(new URL('..', import.meta.url));
    const docs = await docsInDist(pkg, 'NeuronOptions', ['tau', 'vReset', 'surrogate', 'decayInput']);
    expect(docs.tau).toMatch(/Membrane time constant/);
    expect(docs.vReset).toMatch(/`null` means soft reset/);
    expect(docs.surrogate).toMatch(/Surrogate derivative of the spike/);
    expect(docs.decayInput).toMatch(/Charge form/);
  }, 60_000);
});
