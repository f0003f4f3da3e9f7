/** Flags shared by the commands (contract §1). */
export interface CommonOptions {
  param: string[];
  yes?: boolean;
  confirm: string[];
  onFailure?: 'rollback' | 'abort';
  stateDir?: string;
  report?: Array<'json' | 'junit' | 'markdown'>;
  reportFile?: string[];
  json?: boolean;
  region?: string;
  profile?: string;
  dryRun?: boolean;
  format?: 'mermaid' | 'dot';
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
