// Drawing of the page's figures: the input, the bit planes, the class probabilities, the rasters.

/** A magnified grey image of `data` (values in [0, 1], row-major `h x w`). */
export function greyCanvas(
  data: ArrayLike<number>,
  h: number,
  w: number,
  scale: number,
  scaleY = scale,
): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  paintGrey(canvas, data, h, w, scale, scaleY);
  return canvas;
}

/** Paints `data` (values in [0, 1]) into `canvas`, each value a `scale` x `scaleY` cell. */
export function paintGrey(
  canvas: HTMLCanvasElement,
  data: ArrayLike<number>,
  h: number,
  w: number,
  scale: number,
  scaleY = scale,
): void {
  canvas.width = w * scale;
  canvas.height = h * scaleY;
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < h * w; i++) {
    const v = Math.round(255 * Math.min(1, Math.max(0, data[i]!)));
    img.data.set([v, v, v, 255], i * 4);
  }
  // Draw 1:1 on a scratch canvas, then scale up without smoothing (crisp pixels).
  const tmp = document.createElement('canvas');
  tmp.width = w;
  tmp.height = h;
  tmp.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, w * scale, h * scaleY);
}

function figure(canvas: HTMLCanvasElement, caption: string): HTMLElement {
  const f = document.createElement('figure');
  const c = document.createElement('figcaption');
  c.textContent = caption;
  f.append(canvas, c);
  return f;
}

/** One canvas per time step of `[T, H, W, C]` spikes (channel 0), captioned with the bit's weight. */
export function showPlanes(
  root: HTMLElement,
  planes: { T: number; data: Float32Array },
  [C, H, W]: [number, number, number],
  bitPlanes: boolean,
): void {
  root.replaceChildren();
  const scale = Math.max(2, Math.floor(96 / W));
  for (let t = 0; t < planes.T; t++) {
    const ch0 = Array.from({ length: H * W }, (_, i) => planes.data[(t * H * W + i) * C]!);
    const label = bitPlanes ? `t=${t}: 2^${planes.T - 1 - t}` : `t=${t}`;
    const canvas = greyCanvas(ch0, H, W, scale);
    canvas.dataset.step = String(t);
    root.append(figure(canvas, label));
  }
}

/** Class probabilities as a list of bars, the largest in bold. */
export function showProbabilities(root: HTMLElement, p: Float32Array): void {
  const top = p.indexOf(Math.max(...p));
  root.replaceChildren(
    ...Array.from(p, (v, k) => {
      const li = document.createElement('li');
      li.className = k === top ? 'top' : '';
      li.dataset.probability = String(v);
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = `${Math.round(160 * v)}px`;
      li.append(bar, `${(100 * v).toFixed(2)}%`);
      return li;
    }),
  );
}

/**
 * A raster per layer: `[T, 1, ...]` spikes, up to 48 neurons spread evenly over the layer as rows,
 * time steps as columns; the caption gives the layer's firing rate over all its neurons.
 */
export function showRasters(
  root: HTMLElement,
  spikes: { path: string; dims: number[]; data: Float32Array }[],
): void {
  root.replaceChildren(
    ...spikes.map((s) => {
      const T = s.dims[0]!;
      const per = s.data.length / T;
      const rows = Math.min(48, per);
      const img = new Float32Array(rows * T);
      for (let r = 0; r < rows; r++) {
        const j = Math.floor((r * per) / rows);
        for (let t = 0; t < T; t++) img[r * T + t] = s.data[t * per + j]!;
      }
      let fired = 0;
      for (const v of s.data) fired += v;
      const canvas = greyCanvas(img, rows, T, 12, 3);
      canvas.dataset.layer = s.path;
      return figure(canvas, `${s.path} (${per} neurons, rate ${(fired / s.data.length).toFixed(3)})`);
    }),
  );
}
