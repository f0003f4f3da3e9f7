/**
 * Signal control: Ctrl-C, SIGTERM and SIGHUP (a closed terminal) reach the run here. The
 * first stops the current step at a safe point; while undoing, with --on-failure rollback
 * and no one at a terminal, the rollback goes on to its end (else it stops after the undo in
 * flight); a second one ends the run at once with its state saved for resume. A closed
 * terminal can hang up more than once (the kernel signals the terminal's foreground group,
 * a multiplexer such as tmux its pane's process too): a repeated SIGHUP is the same event,
 * not a person insisting, so it never ends the way back half-way.
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
  /** --on-failure: with `rollback`, a signal during the way back with no one to ask (or a hang-up) lets it finish. */
  onFailure: 'rollback' | 'abort';
  /** A person answers prompts at a terminal: their Ctrl-C during the way back stops it after the undo in flight. */
  interactive: boolean;
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

  /** The terminal was found gone (a prompt lost it) before its SIGHUP arrived: that SIGHUP is this event. */
  hungUp(): void {
    if (this.count > 0) return;
    this.count = 1;
    this.last = 'SIGHUP';
  }

  interrupt(signal: string): void {
    if (signal === 'SIGHUP' && this.count > 0) return;
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
      if (this.t.onFailure === 'rollback' && (signal === 'SIGHUP' || !this.t.interactive)) {
        // No one to ask (the terminal closed, or none was there: CI, cron, a service manager's
        // SIGTERM), and --on-failure says to roll back: stopping half-way would leave the world
        // half undone. A second Ctrl-C or SIGTERM still stops at once.
        this.t.warn(
          signal === 'SIGHUP'
            ? `SIGHUP: the terminal closed; the rollback goes on (--on-failure rollback)`
            : `${signal}: the rollback goes on (--on-failure rollback, no one at a terminal to ask); a second ${signal} stops at once, lifeboat rollback ${this.t.runId} then undoes the rest`,
        );
        return;
      }
      // Undoing: finish the undo in flight, then stop; `lifeboat rollback <id>` undoes the rest.
      this.haltBeforeNextUndo = true;
      const again = signal === 'SIGHUP' ? '' : ` (a second ${signal} stops at once)`;
      this.t.warn(`${signal}: stopping once the undo in progress is done${again}; lifeboat rollback ${this.t.runId} undoes the rest`);
      return;
    }
    this.t.interruptMachine();
  }
}
