/**
 * Signal control: Ctrl-C, SIGTERM and SIGHUP (a closed terminal) reach the run here. The
 * first stops the current step at a safe point (or, while undoing, after the undo in
 * flight); a second one ends the run at once with its state saved for resume.
 */
import { InterruptedError } from '../errors.js';

export interface SignalTargets {
  /** The machine's current state name, e.g. `s:failover-dns.executing`, `rollingBack.undoing`. */
  state(): string;
  /** Ask the machine to go to `interrupted` (between steps, at a prompt). */
  interruptMachine(): void;
  /** End the run now, state kept for resume. */
  halt(signal: string): void;
  warn(line: string): void;
  runId: string;
}

export class SignalControl {
  private count = 0;
  last: string | undefined;
  /** Set while a step executes: aborting it stops the step at a safe point. */
  stepAbort: AbortController | undefined;
  /** Undoing when the signal came: stop before the next undo starts. */
  haltBeforeNextUndo = false;

  constructor(private readonly t: SignalTargets) {}

  get received(): boolean {
    return this.count > 0;
  }

  interrupt(signal: string): void {
    this.count += 1;
    this.last = signal;
    if (this.count > 1) {
      this.t.halt(signal);
      return;
    }
    if (this.stepAbort) {
      // A step is executing: it stops at a safe point and its failure leads to `interrupted`.
      this.stepAbort.abort(new InterruptedError(`${signal} received`));
      return;
    }
    if (this.t.state().startsWith('rollingBack')) {
      // Undoing: finish the undo in flight, then stop; `lifeboat rollback <id>` undoes the rest.
      this.haltBeforeNextUndo = true;
      this.t.warn(`${signal}: stopping once the undo in progress is done (a second ${signal} stops at once); lifeboat rollback ${this.t.runId} undoes the rest`);
      return;
    }
    this.t.interruptMachine();
  }
}
