import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { etaSeconds, prefixLines } from './sweep-runner.js';

describe('sweep progress', () => {
  it('labels every line of a parallel trial, also the last one without a newline', async () => {
    const from = new PassThrough();
    let text = '';
    const to = new PassThrough();
    to.on('data', (d) => (text += d));
    prefixLines(from, to, '[trial 3] ');
    from.write('epoch 1/2: loss 0.5\nepoch 2/');
    from.end('2: loss 0.4');
    await new Promise((r) => setTimeout(r, 20));
    expect(text).toBe('[trial 3] epoch 1/2: loss 0.5\n[trial 3] epoch 2/2: loss 0.4\n');
  });

  it('estimates what is left from the trials that ran, not those skipped as finished', () => {
    expect(etaSeconds(600, 2, 6)).toBe(1800);
    expect(etaSeconds(5, 0, 4)).toBeNull();
  });
});
