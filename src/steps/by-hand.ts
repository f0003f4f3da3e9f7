/**
 * Undo records a person carries out: `{ instructions }`, journaled by any step whose
 * `rollback:` gives instructions (a manual step's, a shell step's). Without a terminal, the
 * person says it is done with `--confirm <step-id>:undo=done`; the CLI checks for that
 * before a rollback changes anything. By the record's shape, so no step type is named.
 */
export function undoDoneByHand(undo: unknown): boolean {
  return typeof undo === 'object' && undo !== null && typeof (undo as { instructions?: unknown }).instructions === 'string';
}
