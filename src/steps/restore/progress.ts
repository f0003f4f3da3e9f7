/**
 * Restore progress for the operator: on a TTY a cli-progress bar on stderr (objects and
 * bytes done of total, rate, ETA); otherwise an info line every 5 s. The hot path only
 * adds to counters; rendering runs on a timer.
 */
import cliProgress from 'cli-progress';
import { formatDuration } from '../../runbook/duration.js';
import type { StepOutput } from '../types.js';
import { formatBytes, formatRate } from '../../util/format.js';

export const LOG_INTERVAL_MS = 5000;

export class Progress {
  private objects = 0;
  private bytes = 0;
  private readonly started = Date.now();
  private timer: NodeJS.Timeout | undefined;
  private bar: cliProgress.SingleBar | undefined;

  constructor(
    private readonly out: StepOutput,
    private readonly totalObjects: number,
    private readonly totalBytes: number,
    private readonly verb = 'restored',
  ) {
    if (totalObjects === 0) return;
    if (out.isTTY && process.stderr.isTTY) {
      this.bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format: `  {bar} {value}/{total} objects | {done} of {all} | {rate} | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
          fps: 5,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(totalObjects, 0, { done: formatBytes(0), all: formatBytes(totalBytes), rate: '–' });
      this.timer = setInterval(() => this.render(), 200);
    } else {
      this.timer = setInterval(() => this.log(), LOG_INTERVAL_MS);
    }
    this.timer.unref();
  }

  /** Bytes copied (may be called per chunk or per part). */
  addBytes(n: number): void {
    this.bytes += n;
  }

  /** One object finished. */
  addObject(): void {
    this.objects++;
  }

  private rate(): number {
    const s = (Date.now() - this.started) / 1000;
    return s > 0 ? this.bytes / s : 0;
  }

  private render(): void {
    this.bar?.update(this.objects, { done: formatBytes(this.bytes), all: formatBytes(this.totalBytes), rate: formatRate(this.rate()) });
  }

  line(): string {
    const rate = this.rate();
    const left = this.totalBytes - this.bytes;
    const eta = rate > 0 && left > 0 ? `, ETA ${formatDuration(Math.ceil(left / rate) * 1000)}` : '';
    return `${this.verb} ${this.objects}/${this.totalObjects} objects, ${formatBytes(this.bytes)} of ${formatBytes(this.totalBytes)}, ${formatRate(rate)}${eta}`;
  }

  private log(): void {
    this.out.info(this.line());
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.bar) {
      this.render();
      this.bar.stop();
      this.bar = undefined;
    }
  }
}
