/**
 * Whether a `--report-file` path is this process's stdout: `/dev/stdout`, `/dev/fd/1`,
 * `/proc/self/fd/1` (or `/proc/<own pid>/fd/1`), a link to one of them, or the very file,
 * pipe or device fd 1 is open on (compared by device and inode). Such a report is stdout:
 * the run's own output then goes to stderr, and nothing else may be written there.
 *
 * `/dev/null` is never "stdout", even when stdout is `/dev/null`: whatever goes there
 * together is thrown away together.
 */
import { fstatSync, statSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';

const NAMES = new Set(['/dev/stdout', '/dev/fd/1', '/proc/self/fd/1', '/proc/thread-self/fd/1', `/proc/${process.pid}/fd/1`]);

export function namesStdout(path: string): boolean {
  if (NAMES.has(resolve(path))) return true;
  const target = statOrUndefined(() => statSync(path));
  const out = statOrUndefined(() => fstatSync(1));
  if (!target || !out) return false;
  if (target.dev !== out.dev || target.ino !== out.ino) return false;
  const devNull = statOrUndefined(() => statSync('/dev/null'));
  return !(devNull && target.isCharacterDevice() && target.rdev === devNull.rdev);
}

function statOrUndefined(read: () => Stats): Stats | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}
