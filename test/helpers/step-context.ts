/** A StepContext for testing one step on its own, with real AWS clients pointed at moto. */
import { expect } from 'vitest';
import { AwsClients, isReadOnlyCommand } from '../../src/aws/clients.js';
import type { Step } from '../../src/runbook/model.js';
import { mergePatch } from '../../src/journal/merge-patch.js';
import { StepError, type StepContext } from '../../src/steps/types.js';

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
    // As the engine does: the record grows by the patch (the latest record is the amended one).
    // (A resume that added nothing did not record again: its record is the prior one.)
    amendUndo: async (patch) => {
      const base = undoRecords.length > 0 ? undoRecords[undoRecords.length - 1] : ctx.priorUndo;
      if (base === undefined) throw new Error('amendUndo before recordUndo');
      undoRecords.push(mergePatch(structuredClone(base), patch));
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

/** A context for a step of `type` acting in `region` (`aws: { region }`; null: the default region), as the regional tests seed them. */
export function regionalContext(type: string, w: Record<string, unknown>, overrides: Partial<StepContext>, region: string | null): TestStepContext {
  return testContext(testStep(type, w, region ? { aws: { region } } : {}), overrides);
}

/** The commands a step sent that could change something (none may come from a plan). */
export function mutatingCommands(ctx: StepContext): string[] {
  return Object.keys(ctx.aws.requests.byCommand).filter((c) => !isReadOnlyCommand(c));
}

/** The StepError a promise rejects with (the test fails if it resolves or rejects with anything else). */
export async function rejection(p: Promise<unknown>): Promise<StepError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StepError);
  return err as StepError;
}

/** Run a hook on every command the step's own S3 client sends, before it is serialised. */
export async function onS3Command(ctx: StepContext, hook: (name: string, input: Record<string, unknown>) => Promise<void> | void): Promise<void> {
  const client = await ctx.aws.s3();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      await hook(String(context.commandName), args.input as Record<string, unknown>);
      return next(args);
    },
    { step: 'initialize', name: `testHook${Math.random()}` },
  );
}
