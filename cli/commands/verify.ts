/**
 * `lifeboat verify <file>`: scheduled backup-restore verification, for cron and CI.
 * Always non-interactive (as --yes with --on-failure rollback) and always cleans up: after
 * success, failure or SIGTERM, everything the run changed is rolled back. Measures the
 * recovery point achieved (age of the newest backup, from s3.verify-backups) and the
 * restore time and throughput (s3.restore); writes --report, --metrics-file and --notify
 * whatever the outcome. Exit 0 verified and cleaned up; 1 verification failed and cleanup
 * succeeded; 4 cleanup failed; 130 interrupted (after cleanup; the journal shows it).
 */
import type { CommonOptions } from '../options.js';
import { rehearsal } from './rehearse.js';

export default async function verify([file]: string[], opts: CommonOptions): Promise<number> {
  return rehearsal(file as string, opts, 'verify');
}
