/**
 * The versioned JSON that `--json` prints, besides the run report (src/report/model.ts):
 * `validate --json`, `runs --json`, `show --json` and `graph --format json`. Each shape is
 * declared once here as a zod schema; the TypeScript types are inferred from it and the
 * published files schema/<name>.schema.json are generated from it (./write-schema.ts; a
 * test fails when a committed file is stale). Scripts read `version` and may rely on every
 * field listed; a field is only ever added, and a change of meaning bumps `version`.
 */
import { z } from 'zod';
import { JSON_VERSION } from './version.js';

export { JSON_VERSION };
const version = z.literal(JSON_VERSION).describe('Version of this JSON shape; bumped when a field changes meaning');
const iso = z.string().describe('ISO-8601 time (UTC)');

// ------------------------------------------------------------------ validate

export const ValidateOutputSchema = z
  .object({
    version,
    files: z.array(
      z.object({
        file: z.string().describe('The path as given'),
        valid: z.boolean(),
        problems: z.array(
          z.object({
            line: z.number().int().min(1).describe('1-based line of the offending node'),
            column: z.number().int().min(1).describe('1-based column of the offending node'),
            message: z.string(),
            path: z.string().nullable().describe('Where in the document, e.g. steps[2].with.bucket; null when the text cannot be parsed that far'),
          }),
        ),
      }),
    ),
  })
  .describe('lifeboat validate --json');
export type ValidateOutput = z.infer<typeof ValidateOutputSchema>;

// ------------------------------------------------------------------ runs

export const RunSummarySchema = z.object({
  runId: z.string(),
  runbook: z.string().describe('The runbook name'),
  file: z.string().describe('The runbook file, absolute'),
  mode: z.string().describe('run, dry-run, rehearse, verify'),
  status: z.string().describe('completed, rolledBack, aborted, rollbackFailed, suspended, refused (the journaled end), or running / unfinished (no end journaled)'),
  exitCode: z.number().int().nullable(),
  startedAt: iso,
  lastAt: iso.describe('When the last journal entry was written'),
  durationMs: z.number().nonnegative(),
  who: z.string().describe('Who started it'),
  lastBy: z.string().describe('Who drove it last (after a resume or rollback)'),
  host: z.string(),
  pid: z.number().int(),
  changed: z.array(z.string()).describe('Steps still changed (not undone), in the order they were applied'),
  inFlight: z.string().nullable().describe('The step whose intent was journaled without a result'),
  phase: z.enum(['forward', 'rollback']),
});

export const RunsOutputSchema = z
  .object({
    version,
    stateDir: z.string(),
    runs: z.array(RunSummarySchema).describe('Newest first'),
    problems: z.array(z.object({ runId: z.string(), problem: z.string() })).describe('Journals that could not be read in full'),
  })
  .describe('lifeboat runs --json');
export type RunsOutput = z.infer<typeof RunsOutputSchema>;

// ------------------------------------------------------------------ show

const decidedByField = z
  .string()
  .nullable()
  .describe('Who decided: operator (a person at the terminal), the flag that decided (--yes, --confirm, --on-failure, --skip-undo, --ignore-drift) or verify (its non-interactive rules); null in journals older than the field');
const undoState = z.enum(['none', 'recorded', 'undoing', 'undone', 'undone by hand', 'not undone', 'undo-failed']);

export const ShowOutputSchema = RunSummarySchema.extend({
  version,
  journal: z.string().describe('Path of the journal file'),
  params: z.record(z.string(), z.string()).describe('Params as journaled (secret ones as ***)'),
  warnings: z.array(z.string()),
  steps: z.array(
    z.object({
      stepId: z.string(),
      status: z.string().describe('pending, started, intent, done, failed, skipped, rolling-back, rolled-back, undone-by-hand, not-undone, undo-failed'),
      startedAt: iso.nullable(),
      durationMs: z.number().nullable(),
      attempts: z.number().int(),
      outcome: z.string().nullable(),
      decisions: z.array(
        z.object({
          at: iso,
          phase: z.string(),
          choice: z.string(),
          who: z.string().describe('The operator: who ran lifeboat (user@host)'),
          by: decidedByField,
        }),
      ),
      undo: undoState,
      undoText: z.string().nullable(),
      undoMs: z.number().nullable(),
    }),
  ),
  timeline: z.array(
    z.object({
      seq: z.number().int(),
      at: iso,
      stepId: z.string().nullable(),
      event: z.string(),
      detail: z.string(),
      who: z.string().nullable(),
      by: decidedByField.describe('For a decision: operator (a person at the terminal), the flag that decided (--yes, --confirm, --on-failure, --skip-undo, --ignore-drift) or verify (its non-interactive rules); null for other events and in journals older than the field'),
      durationMs: z.number().nullable(),
      outcome: z.string().nullable(),
      undo: undoState.nullable(),
    }),
  ),
}).describe('lifeboat show <run-id> --json');
export type ShowOutput = z.infer<typeof ShowOutputSchema>;

// ------------------------------------------------------------------ graph

export const GraphOutputSchema = z
  .object({
    version,
    runbook: z.object({ name: z.string(), file: z.string() }),
    initial: z.string().describe('Id of the state the machine starts in'),
    states: z.array(
      z.object({
        id: z.string().describe('Unique, dotted path of the state, e.g. s:failover-dns.executing'),
        key: z.string().describe('The name within its parent'),
        parent: z.string().nullable(),
        type: z.enum(['atomic', 'compound', 'parallel', 'final', 'history']),
        initial: z.string().nullable().describe('For a compound state: the id of its initial child'),
      }),
    ),
    transitions: z.array(
      z.object({
        from: z.string(),
        to: z.string(),
        event: z.string().describe('The event, or "" for an automatic transition; done / error for an actor finishing'),
        guard: z.string().nullable().describe('The guard, e.g. the operator choice that takes this transition'),
      }),
    ),
  })
  .describe('lifeboat graph --format json');
export type GraphOutput = z.infer<typeof GraphOutputSchema>;

/** Every published shape, by the file name it is published under in schema/. */
export const JSON_OUTPUTS = {
  validate: ValidateOutputSchema,
  runs: RunsOutputSchema,
  show: ShowOutputSchema,
  graph: GraphOutputSchema,
} as const;
export type JsonOutputName = keyof typeof JSON_OUTPUTS;

export function jsonOutputSchema(name: JsonOutputName): Record<string, unknown> {
  const json = z.toJSONSchema(JSON_OUTPUTS[name], { target: 'draft-07', io: 'output' }) as Record<string, unknown>;
  const { $schema, ...rest } = json;
  return { $schema, $id: `https://lifeboat.dev/schema/${name}.schema.json`, title: `lifeboat ${name} --json`, ...rest };
}

export function renderJsonOutputSchema(name: JsonOutputName): string {
  return `${JSON.stringify(jsonOutputSchema(name), null, 2)}\n`;
}
