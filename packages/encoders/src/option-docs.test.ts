import { docsInDist } from '@hybridspike/core/internal/testing';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

describe('option docs', () => {
  it('are written once, on the schema fields, and editors show them from dist', async () => {
    const pkg = fileURLToPath(new URL('..', import.meta.url));
    const docs = await docsInDist(pkg, 'BitPlaneOptions', ['bits', 'surrogate', 'fourierOffset', 'rescale']);
    expect(docs.bits).toMatch(/number of time steps T/);
    expect(docs.surrogate).toMatch(/Surrogate derivative of the staircase/);
    expect(docs.fourierOffset).toMatch(/authors' fourier derivative/);
    expect(docs.rescale).toMatch(/Mapping to \[0, 1\] first/);
    const latency = await docsInDist(pkg, 'LatencyOptions', ['spikeOnZero']);
    expect(latency.spikeOnZero).toMatch(/Emit a spike at t = T-1/);
  }, 60_000);
});
