import { describe, expect, it } from 'vitest';
import { rasterChart, renderSvg } from './plots.js';

describe('spike raster', () => {
  const points = [
    { layer: 'blocks.0.snn.lif', t: 0, neuron: 3, spike: true },
    { layer: 'blocks.0.snn.lif', t: 7, neuron: 5, spike: true },
    { layer: 'head.snn.lif1 (no spikes)', t: 0, neuron: 0, spike: false },
  ];

  it('keeps silent layers as labelled panels and the last time step inside the plot', async () => {
    const spec = rasterChart(points, 'raster', 8) as unknown as {
      spec: { encoding: { x: { scale: { domain: number[] } } } };
    };
    expect(spec.spec.encoding.x.scale.domain).toEqual([-0.5, 7.5]);
    const svg = await renderSvg(rasterChart(points, 'raster', 8));
    expect(svg).toMatch(/head\.snn\.lif1 \(no spikes\)/);
    expect(svg).toMatch(/blocks\.0\.snn\.lif/);
    // two visible ticks (t = 0 and t = 7) and an invisible placeholder
    expect((svg.match(/opacity="0"/g) ?? []).length).toBeGreaterThanOrEqual(1);
  });
});
