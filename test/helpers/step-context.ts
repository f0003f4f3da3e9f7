/** A StepContext for testing one step on its own, with real AWS clients pointed at moto. */
import { AwsClients } from '../../src/aws/clients.js';
import type { Step } from '../../src/runbook/model.js';
import type { StepContext } from '../../src/steps/types.js';

export interface TestStepContext extends StepContext {
  /** Every record passed to recordUndo, in order. */
  undoRecords: unknown[];
  /** Lines given to out.info, and chunks given to out.stream. */
  lines: string[];
  streamed: string;
}

export function testStep(type: string, withBlock: Record<string, unknown> = {}, extra: Partial<Step> = {}): Step {
  return { id: 'step-under-test', type, with: withBlock, confirm: 'none', retries: 0, loc: { line: 1, col: 1 }, ...extra };
}

export function testContext(step: Step, overrides: Partial<StepContext> = {}): TestStepContext {
  const undoRecords: unknown[] = [];
  const lines: string[] = [];
  const ctx: TestStepContext = {
    step,
    runbookDir: process.cwd(),
    runbook: { name: 'test' },
    dryRun: false,
    signal: new AbortController().signal,
    aws: new AwsClients({ env: process.env }),
    out: {
      info: (line) => lines.push(line),
      stream: (chunk) => {
        ctx.streamed += chunk;
      },
      isTTY: false,
    },
    env: process.env,
    now: () => new Date(),
    recordUndo: async (undo) => {
      undoRecords.push(structuredClone(undo));
    },
    priorUndo: undefined,
    confirmManual: async () => true,
    undoRecords,
    lines,
    streamed: '',
    ...overrides,
  };
  return ctx;
}
