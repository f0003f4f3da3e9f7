/** A loaded, validated runbook: what the compiler and the engine work from. */
import type { AwsSpec, Limits, ParamSpec, RollbackSpec } from './schema.js';
import type { StepMode } from './mode-names.js';

export interface Location {
  line: number;
  col: number;
}

export interface Step {
  id: string;
  /** A registered step type (src/steps/registry.ts): the loader checks it. */
  type: string;
  description?: string | undefined;
  /** The raw `with` block; `${{ }}` placeholders are substituted just before the step runs. */
  with: Record<string, unknown>;
  confirm: 'none' | 'yes' | 'typed';
  timeoutMs?: number | undefined;
  retries: number;
  when?: string | undefined;
  /** The modes the step runs in, as written (see modes.ts for the default). */
  modes?: StepMode[] | undefined;
  limits?: Limits | undefined;
  rollback?: RollbackSpec | undefined;
  /** Which account, region and role the step acts with: its own `aws:` over the runbook's. */
  aws?: AwsSpec | undefined;
  loc: Location;
}

export interface Runbook {
  /** The path as given (used in messages). */
  file: string;
  /** Directory of the file: the default working directory of shell steps. */
  dir: string;
  source: string;
  /** sha256 of the source, hex: resume refuses a changed file. */
  hash: string;
  name: string;
  description?: string | undefined;
  rtoMs?: number | undefined;
  rpoMs?: number | undefined;
  params: Record<string, ParamSpec>;
  require: Step[];
  steps: Step[];
}
