/**
 * The step invoker: everything the engine needs to call a step — its implementation
 * (loaded lazily, once per type), its `with` resolved against params and earlier outputs,
 * its rollback spec made concrete, and the StepContext it runs in.
 */
import type { AwsClients } from '../aws/clients.js';
import type { RunMode } from '../journal/format.js';
import type { RunContext } from '../machine/compile.js';
import type { Runbook, Step } from '../runbook/model.js';
import { substitute } from '../runbook/template.js';
import { loadStep } from '../steps/index.js';
import type { StepContext, StepImpl } from '../steps/types.js';
import type { Ui } from '../ui/console.js';
import { resolveWith } from './resolve.js';

export type Impl = StepImpl<Record<string, unknown>>;
export type Scope = { params: Record<string, string>; outputs: RunContext['outputs'] };

export interface InvokerOptions {
  runbook: Runbook;
  mode: RunMode;
  aws: AwsClients;
  ui: Ui;
  env: NodeJS.ProcessEnv;
  secrets: readonly string[];
}

export interface ContextParts {
  signal: AbortSignal;
  priorUndo?: unknown;
  recordUndo?: (undo: unknown) => Promise<void>;
  confirmManual?: (instructions: string) => Promise<boolean>;
}

export class StepInvoker {
  private readonly stepsById: Map<string, Step>;
  private readonly impls = new Map<string, Impl>();

  constructor(private readonly o: InvokerOptions) {
    this.stepsById = new Map([...o.runbook.steps, ...o.runbook.require].map((s) => [s.id, s]));
  }

  get dryRun(): boolean {
    return this.o.mode === 'dry-run';
  }

  /** The runbook's secret params: an undo record still holding one sealed cannot be carried out. */
  get secretParamNames(): string[] {
    return Object.entries(this.o.runbook.params)
      .filter(([, spec]) => spec.secret)
      .map(([name]) => name);
  }

  step(id: string): Step {
    const s = this.stepsById.get(id);
    if (!s) throw new Error(`no step "${id}" in ${this.o.runbook.file}`);
    return s;
  }

  /** 1-based position among the runbook's steps. */
  index(step: Step): number {
    return this.o.runbook.steps.indexOf(step) + 1;
  }

  async impl(step: Step): Promise<Impl> {
    let impl = this.impls.get(step.type);
    if (!impl) {
      impl = await loadStep(step.type);
      this.impls.set(step.type, impl);
    }
    return impl;
  }

  resolve(step: Step, scope: Scope): Record<string, unknown> {
    return resolveWith(step, scope);
  }

  /** For the way back: the resolved `with`, else the runbook's (the undo record carries what rollback needs). */
  resolveForUndo(step: Step, scope: Scope): Record<string, unknown> {
    try {
      return resolveWith(step, scope);
    } catch {
      return step.with;
    }
  }

  /** The step with `${{ }}` in its rollback spec substituted too, so the undo record is concrete. */
  concrete(step: Step, scope: Scope): Step {
    if (!step.rollback) return step;
    try {
      return { ...step, rollback: substitute(step.rollback, scope) };
    } catch {
      return step;
    }
  }

  context(step: Step, parts: ContextParts): StepContext {
    const ui = this.o.ui;
    return {
      step,
      runbookDir: this.o.runbook.dir,
      runbook: { name: this.o.runbook.name, rpoMs: this.o.runbook.rpoMs },
      dryRun: this.dryRun,
      signal: parts.signal,
      aws: this.o.aws,
      out: { info: (l) => ui.info(l), stream: (c) => ui.stream(c), isTTY: ui.isTTY },
      env: this.o.env,
      now: () => new Date(),
      recordUndo: parts.recordUndo ?? refuseUndo,
      priorUndo: parts.priorUndo,
      secrets: this.o.secrets,
      confirmManual: parts.confirmManual ?? (async () => false),
    };
  }
}

/** For phases that must not change anything (plan, verify, checks, previews). */
export const refuseUndo = async (): Promise<void> => {
  throw new Error('this phase must not change anything');
};

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
