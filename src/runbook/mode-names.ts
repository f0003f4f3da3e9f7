/** The modes a step may list in `modes:` (and `when:` may compare `mode` with). No imports: the model and the schema use it. */
export const STEP_MODES = ['plan', 'dry-run', 'run', 'rehearse', 'verify'] as const;
export type StepMode = (typeof STEP_MODES)[number];
