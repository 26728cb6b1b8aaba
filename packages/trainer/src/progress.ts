import { SingleBar, Presets } from 'cli-progress';

/** Progress of one epoch: a live bar on a TTY, one summary line otherwise, nothing when quiet. */
export interface EpochProgress {
  update(done: number, values: { loss: number; acc: number; ips: number }): void;
  stop(line: string): void;
}

export function epochProgress(
  epoch: number,
  epochs: number,
  total: number,
  mode: 'auto' | 'bar' | 'lines' | 'quiet',
): EpochProgress {
  const tty = Boolean(process.stderr.isTTY);
  const useBar = mode === 'bar' || (mode === 'auto' && tty);
  if (mode === 'quiet') return { update() {}, stop() {} };
  if (!useBar) return { update() {}, stop: (line) => console.error(line) };
  const bar = new SingleBar(
    {
      format: `epoch ${epoch + 1}/${epochs} [{bar}] {value}/{total} | loss {loss} | acc {acc} | {ips} img/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 20,
    },
    Presets.shades_classic,
  );
  bar.start(total, 0, { loss: '-', acc: '-', ips: '-' });
  return {
    update: (done, v) =>
      bar.update(done, { loss: v.loss.toFixed(4), acc: v.acc.toFixed(4), ips: v.ips.toFixed(1) }),
    stop: (line) => {
      bar.stop();
      console.error(line);
    },
  };
}
