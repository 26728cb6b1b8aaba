/**
 * A canvas to draw a digit on with the mouse, a pen or a finger: white strokes on black, read
 * back as 28x28 grey levels (the mean of each 10x10 block), like an MNIST digit.
 */
export class DrawPad {
  private drawing = false;
  private last: { x: number; y: number } | null = null;
  private readonly ctx: CanvasRenderingContext2D;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    /** Called when a stroke ends. */
    onStroke: () => void,
  ) {
    this.ctx = canvas.getContext('2d', { willReadFrequently: true })!;
    this.clear();
    const at = (e: PointerEvent) => {
      const r = canvas.getBoundingClientRect();
      return {
        x: ((e.clientX - r.left) * canvas.width) / r.width,
        y: ((e.clientY - r.top) * canvas.height) / r.height,
      };
    };
    canvas.addEventListener('pointerdown', (e) => {
      this.drawing = true;
      this.last = at(e);
      canvas.setPointerCapture(e.pointerId);
      this.line(this.last, this.last);
    });
    canvas.addEventListener('pointermove', (e) => {
      if (!this.drawing) return;
      const p = at(e);
      this.line(this.last!, p);
      this.last = p;
    });
    const end = () => {
      if (!this.drawing) return;
      this.drawing = false;
      onStroke();
    };
    canvas.addEventListener('pointerup', end);
    canvas.addEventListener('pointercancel', end);
  }

  private line(a: { x: number; y: number }, b: { x: number; y: number }): void {
    const c = this.ctx;
    c.strokeStyle = '#fff';
    c.lineWidth = this.canvas.width / 12;
    c.lineCap = 'round';
    c.beginPath();
    c.moveTo(a.x, a.y);
    c.lineTo(b.x, b.y);
    c.stroke();
  }

  clear(): void {
    this.ctx.fillStyle = '#000';
    this.ctx.fillRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** The drawing as 28x28 grey levels (uint8, row-major). */
  pixels28(): Uint8Array {
    const { width: w, height: h } = this.canvas;
    const rgba = this.ctx.getImageData(0, 0, w, h).data;
    const out = new Uint8Array(28 * 28);
    const by = h / 28;
    const bx = w / 28;
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        let sum = 0;
        let n = 0;
        for (let yy = Math.floor(y * by); yy < Math.floor((y + 1) * by); yy++)
          for (let xx = Math.floor(x * bx); xx < Math.floor((x + 1) * bx); xx++) {
            sum += rgba[(yy * w + xx) * 4]!;
            n++;
          }
        out[y * 28 + x] = Math.round(sum / n);
      }
    return out;
  }
}
