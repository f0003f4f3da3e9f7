/**
 * What the operator reads: step headers, plans as coloured diffs (plain when not a TTY or
 * NO_COLOR), results, warnings. One writer for the whole run so output never interleaves
 * badly with prompts.
 */
import pc from 'picocolors';
import { renderPlanLine } from '../plan/format.js';
import type { StepPlan } from '../steps/types.js';

export interface Ui {
  readonly isTTY: boolean;
  heading(text: string): void;
  step(index: number, total: number, id: string, type: string, description?: string): void;
  plan(plan: StepPlan): void;
  info(line: string): void;
  ok(line: string): void;
  warn(line: string): void;
  error(line: string): void;
  stream(chunk: string): void;
}

export interface ConsoleUiOptions {
  out?: NodeJS.WriteStream | NodeJS.WritableStream;
  color?: boolean;
  /** Replace secret values before anything reaches the screen. */
  redact?: (text: string) => string;
}

export function createConsoleUi(options: ConsoleUiOptions = {}): Ui {
  const out = options.out ?? process.stdout;
  const isTTY = Boolean((out as NodeJS.WriteStream).isTTY);
  const c = pc.createColors(options.color ?? (isTTY && !process.env.NO_COLOR));
  const redact = options.redact ?? ((t: string) => t);
  const write = (text: string): void => {
    out.write(redact(text));
  };
  const line = (text: string): void => write(`${text}\n`);
  let midLine = false;


  const endStream = (): void => {
    if (midLine) write('\n');
    midLine = false;
  };

  return {
    isTTY,
    heading: (text) => {
      endStream();
      line(c.bold(text));
    },
    step: (index, total, id, type, description) => {
      endStream();
      line('');
      line(c.bold(c.cyan(`▶ [${index}/${total}] ${id}`)) + c.dim(` (${type})`) + (description ? ` ${description}` : ''));
    },
    plan: (plan) => {
      endStream();
      line(`  ${plan.mutating ? c.yellow('plan:') : c.dim('check:')} ${plan.summary}`);
      for (const l of plan.lines) line(renderPlanLine(c, l));
    },
    info: (text) => {
      endStream();
      line(`  ${text}`);
    },
    ok: (text) => {
      endStream();
      line(`  ${c.green('✔')} ${text}`);
    },
    warn: (text) => {
      endStream();
      line(`  ${c.yellow('!')} ${text}`);
    },
    error: (text) => {
      endStream();
      line(`  ${c.red('✘')} ${text}`);
    },
    stream: (chunk) => {
      if (chunk === '') return;
      const indented = chunk.replace(/\n(?=.)/g, '\n    │ ');
      write(midLine ? indented : `    │ ${indented}`);
      midLine = !chunk.endsWith('\n');
    },
  };
}
