/**
 * Flags shared by the commands (contract §1): what the command modules take. cli/main.ts
 * parses each command's own flags (typed by @commander-js/extra-typings) and the compiler
 * checks they fit this shape: no cast.
 */
export interface CommonOptions {
  param?: string[];
  yes?: boolean;
  confirm?: string[];
  onFailure?: 'rollback' | 'abort';
  stateDir?: string;
  report?: Array<'json' | 'junit' | 'markdown'>;
  reportFile?: string[];
  json?: boolean;
  region?: string;
  profile?: string;
  dryRun?: boolean;
  format?: 'mermaid' | 'dot' | 'json';
  out?: string;
  plan?: string;
  lock?: string;
  forceUnlock?: string;
  force?: boolean;
  metricsFile?: string;
  notify?: string;
  /** rollback/resume/run: undo over later changes (journaled). */
  ignoreDrift?: boolean;
  /** Steps a person already undid by hand: marked so, not touched. */
  skipUndo?: string[];
}
