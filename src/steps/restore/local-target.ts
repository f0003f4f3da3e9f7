/**
 * A local directory as a restore target. Each object is streamed (GetObject) into a
 * temporary file in the destination's own directory, hashed on the way, fsynced, checked,
 * and renamed into place, so a file is either its old or its new self, never half.
 *
 * Safety: every path is the target directory joined with the key relative to the source
 * prefix; keys with `..`, a leading `/`, empty or `.` segments are refused before anything
 * is written (see unsafeRelativeKey), the resolved path must stay inside the directory, and
 * no existing path component inside it may be a symlink (it could point anywhere).
 *
 * Undo: before the first write, each file about to be replaced is hard-linked (copied if
 * the file system refuses links) to `<dir>/.lifeboat-undo/<undoId>/<rel>`; the rename
 * replaces the directory entry, so the link keeps the old bytes. Each file the restore
 * writes gets the source object's LastModified as its mtime (as `aws s3 cp` does) before it
 * is renamed into place: with its size, that is how the way back tells the restore's file
 * from one someone else put there (restore/undo-check.ts), and leaves the latter alone.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, type Stats } from 'node:fs';
import { copyFile, link, lstat, mkdir, open, readdir, rename, rm, rmdir, stat, unlink, utimes } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { UNDO_DIR, etagIsNotMd5, fullObjectSha256, isPlainMd5Etag, isPreconditionFailed, normalizeEtag, s3Failure, s3Uri } from '../../aws/s3.js';
import { StepError } from '../types.js';
import { HashingStream } from './hash.js';
import type { TargetObject } from './plan.js';
import type { SourceObject } from './select.js';
import { expectedOf, type LocalRestoreUndo } from './undo.js';
import { isExpectedFile, type LeftAlone } from './undo-check.js';

type VerifyMode = 'checksum' | 'size' | 'none';

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

async function lstatOrUndefined(p: string): Promise<Stats | undefined> {
  try {
    return await lstat(p);
  } catch (err) {
    if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

/** The absolute path for `rel`, refusing anything that resolves outside `dir`. */
export function destinationPath(dir: string, rel: string): string {
  const p = path.resolve(dir, ...rel.split('/'));
  if (!p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep)) throw new StepError(`refusing key ${rel}: it resolves to ${p}, outside ${dir}`);
  return p;
}

export function tempPath(file: string, undoId: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.lifeboat-${undoId}.tmp`);
}

async function md5File(p: string): Promise<string> {
  const h = createHash('md5');
  await pipeline(createReadStream(p), h);
  return h.digest('hex');
}

export interface LocalSurvey {
  existing: Map<string, TargetObject>;
  /** Relative directories that do not exist yet and would be created, deepest first. */
  missingDirs: string[];
  /** The target directory and any of its missing ancestors, absolute, deepest first; empty when it exists. */
  missingRoots: string[];
}

/**
 * What is at each destination path now. Same-size files are read for their MD5 so that a
 * file already holding the object's bytes is left alone. Refuses (StepError, nothing
 * written) paths that are directories, symlinks, or lie below a symlink or a file.
 */
export async function surveyLocal(dir: string, sources: ReadonlyArray<{ rel: string; source: SourceObject }>): Promise<LocalSurvey> {
  const existing = new Map<string, TargetObject>();
  const dirState = new Map<string, 'dir' | 'missing'>();
  const missing = new Set<string>();
  // The target itself may be a symlink to a directory (the operator named it); below it, none may be.
  const root = await stat(dir).catch((err: unknown) => {
    if (code(err) === 'ENOENT') return undefined;
    throw err;
  });
  if (root && !root.isDirectory()) throw new StepError(`target ${dir} exists and is not a directory`);
  dirState.set('', root ? 'dir' : 'missing');
  const problems: string[] = [];

  const checkDir = async (relDir: string): Promise<'dir' | 'missing'> => {
    const known = dirState.get(relDir);
    if (known) return known;
    const parent = relDir.includes('/') ? relDir.slice(0, relDir.lastIndexOf('/')) : '';
    let state: 'dir' | 'missing' = await checkDir(parent);
    if (state === 'dir') {
      const st = await lstatOrUndefined(path.join(dir, ...relDir.split('/')));
      if (!st) state = 'missing';
      else if (st.isSymbolicLink()) throw new StepError(`refusing to write below ${path.join(dir, relDir)}: it is a symlink (it could lead outside ${dir})`);
      else if (!st.isDirectory()) throw new StepError(`refusing to write below ${path.join(dir, relDir)}: it is a file, not a directory`);
    }
    if (state === 'missing') missing.add(relDir);
    dirState.set(relDir, state);
    return state;
  };

  for (const { rel, source } of sources) {
    const file = destinationPath(dir, rel);
    const relDir = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : '';
    if ((await checkDir(relDir)) === 'missing') continue;
    const st = await lstatOrUndefined(file);
    if (!st) continue;
    if (!st.isFile()) {
      problems.push(`${file} (${st.isSymbolicLink() ? 'a symlink' : st.isDirectory() ? 'a directory' : 'not a regular file'})`);
      continue;
    }
    const t: TargetObject = { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
    if (st.size === source.size && isPlainMd5Etag(source.etag)) t.etag = await md5File(file);
    existing.set(rel, t);
  }
  if (problems.length > 0)
    throw new StepError(`refusing to replace ${problems.length} path(s) that are not regular files: ${problems.slice(0, 10).join(', ')}`, {
      hint: 'move them away, or restore into another directory',
    });
  missing.delete('');
  const missingDirs = [...missing].sort((a, b) => b.split('/').length - a.split('/').length || b.localeCompare(a));
  const missingRoots: string[] = [];
  if (!root) {
    for (let d = dir; ; d = path.dirname(d)) {
      if (await lstatOrUndefined(d)) break;
      missingRoots.push(d);
      if (path.dirname(d) === d) break;
    }
  }
  return { existing, missingDirs, missingRoots };
}

/** Hard-link (or copy) each file about to be replaced into the undo directory; skip those already preserved. */
export async function preserveLocal(undo: LocalRestoreUndo): Promise<void> {
  for (const e of undo.overwritten) {
    const from = destinationPath(undo.dir, e.path);
    const to = destinationPath(undo.dir, e.preserved);
    if (await lstatOrUndefined(to)) continue;
    if (!(await lstatOrUndefined(from))) continue;
    await mkdir(path.dirname(to), { recursive: true });
    try {
      await link(from, to);
    } catch (err) {
      if (!['EPERM', 'EXDEV', 'ENOTSUP', 'EMLINK', 'EOPNOTSUPP'].includes(code(err) ?? '')) throw err;
      await copyFile(from, `${to}.partial`);
      await rename(`${to}.partial`, to);
    }
  }
}

export interface LocalWriteJob {
  bucket: string;
  source: SourceObject;
  rel: string;
  /** As surveyed: absent, or this file (size, mtime, inode). */
  expect: TargetObject | undefined;
}

export interface LocalWriteResult {
  bytes: number;
  verifiedBy: 'sha256' | 'etag' | 'size' | 'none';
}

async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some file systems cannot fsync a directory; the data itself was fsynced.
  }
}

/** Stream one object version into place under `dir`. */
export async function writeLocal(s3: S3Client, dir: string, undoId: string, job: LocalWriteJob, verify: VerifyMode, onBytes: (n: number) => void): Promise<LocalWriteResult> {
  const file = destinationPath(dir, job.rel);
  const tmp = tempPath(file, undoId);
  const where = { op: 'GetObject', bucket: job.bucket, key: job.source.key };
  await mkdir(path.dirname(file), { recursive: true });
  let res;
  try {
    res = await s3.send(
      new GetObjectCommand({
        Bucket: job.bucket,
        Key: job.source.key,
        VersionId: job.source.versionId,
        ...(job.source.versionId === undefined && job.source.etag ? { IfMatch: `"${job.source.etag}"` } : {}),
        ChecksumMode: 'ENABLED',
      }),
    );
  } catch (err) {
    if (isPreconditionFailed(err)) throw new StepError(`${s3Uri(job.bucket, job.source.key)} changed since it was listed`, { hint: 'run plan again and retry' });
    throw s3Failure(err, where);
  }
  const hasher = new HashingStream(onBytes);
  try {
    // flush: fsync the file before it is closed, so the rename publishes durable bytes.
    await pipeline(res.Body as NodeJS.ReadableStream, hasher, createWriteStream(tmp, { mode: 0o644, flush: true }));
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    const sys = err as NodeJS.ErrnoException;
    if (sys.syscall) throw new StepError(`writing ${tmp} failed: ${sys.code ?? sys.message}`, { cause: err, hint: 'check free space and permissions of the target directory' });
    throw s3Failure(err, where);
  }
  const d = hasher.digests();
  const fail = (what: string): never => {
    throw new StepError(`checksum mismatch reading ${s3Uri(job.bucket, job.source.key)}${job.source.versionId ? ` (version ${job.source.versionId})` : ''} into ${file}: ${what}`, {
      hint: 'the bytes received are not the object S3 stored; nothing was put in place for this file',
    });
  };
  let verifiedBy: LocalWriteResult['verifiedBy'] = 'none';
  try {
    if (verify !== 'none') {
      const expected = res.ContentLength ?? job.source.size;
      if (d.bytes !== expected) fail(`${d.bytes} bytes received, ${expected} expected`);
      verifiedBy = 'size';
    }
    if (verify === 'checksum') {
      const sha = fullObjectSha256(res.ChecksumSHA256, res.ChecksumType);
      const etag = normalizeEtag(res.ETag);
      if (sha) {
        if (sha !== d.sha256) fail(`SHA-256 ${d.sha256} ≠ stored ${sha}`);
        verifiedBy = 'sha256';
      } else if (isPlainMd5Etag(etag) && !etagIsNotMd5(res.ServerSideEncryption, res.SSECustomerAlgorithm)) {
        if (etag !== d.md5) fail(`MD5 ${d.md5} ≠ ETag ${etag}`);
        verifiedBy = 'etag';
      }
      // Otherwise (multipart upload without a stored SHA-256): the SDK validated whatever
      // full-object checksum S3 returned (CRC32/CRC64NVME) and the size matched.
    }
    // The mark of the restore's own file (see the top): its mtime, set before the rename publishes
    // it. Not fsynced on its own: the directory's fsync after the rename commits it on journaling
    // file systems; a file whose mtime was lost is not recognised, so the way back leaves it alone.
    await utimes(tmp, new Date(), job.source.lastModified);
    // Write-time guard: the destination must still be as surveyed.
    const now = await lstatOrUndefined(file);
    const same = job.expect
      ? now !== undefined && now.isFile() && now.size === job.expect.size && now.mtimeMs === job.expect.mtimeMs && now.ino === job.expect.ino
      : now === undefined;
    if (!same)
      throw new StepError(`${file} changed since it was checked (${job.expect ? 'modified or removed' : 'it appeared'}): refusing to overwrite it`, {
        hint: 'something else is writing to the target directory; run plan again and retry',
      });
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await syncDir(path.dirname(file));
  return { bytes: d.bytes, verifiedBy };
}

/** What the way back of a directory restore does with each path, read against the directory now. */
interface LocalDecision {
  /** Overwritten entries whose file is the restore's (or, in an older record, any). */
  putBack: LocalRestoreUndo['overwritten'];
  /** Created paths holding the restore's file. */
  remove: string[];
  leftAlone: LeftAlone[];
  legacy: boolean;
}

function describeFile(st: Stats): string {
  return st.isFile() ? `a file of ${st.size} bytes, modified ${new Date(st.mtimeMs).toISOString()}` : st.isDirectory() ? 'a directory' : 'not a regular file';
}

/**
 * Read-only: which paths of the record hold the restore's own file (its size and the mtime it
 * set). Anything else is left alone: absent (never written, or deleted since: the restore
 * deletes nothing) or another file. A record without expectations (older lifeboat): every
 * path is undone as before.
 */
export async function inspectLocal(undo: LocalRestoreUndo): Promise<LocalDecision> {
  const expected = expectedOf(undo.expected);
  const d: LocalDecision = { putBack: [], remove: [], leftAlone: [], legacy: expected === undefined };
  const mine = (rel: string, st: Stats): { ok: boolean; why: string } => {
    const expect = expected?.get(rel);
    if (expect === undefined) return { ok: false, why: `holds ${describeFile(st)}: the undo record says nothing of what the restore wrote there` };
    if (st.isFile() && isExpectedFile(expect, st)) return { ok: true, why: '' };
    return { ok: false, why: `holds ${describeFile(st)}, not the restore's file (${expect.size} bytes, modified ${new Date(expect.mtimeMs).toISOString()}): not written by this restore` };
  };
  for (const e of undo.overwritten) {
    const file = destinationPath(undo.dir, e.path);
    const kept = destinationPath(undo.dir, e.preserved);
    const keptSt = await lstatOrUndefined(kept);
    if (!keptSt) continue; // never preserved (nothing written yet), or already put back
    const st = await lstatOrUndefined(file);
    // Never replaced: the preserved link and the file are one inode (or, for a preserved copy, the file is as recorded).
    const asBefore =
      st !== undefined && ((st.ino === keptSt.ino && st.dev === keptSt.dev) || (st.isFile() && e.mtimeMs !== undefined && st.size === e.size && st.mtimeMs === e.mtimeMs));
    if (d.legacy || asBefore) {
      d.putBack.push(e);
      continue;
    }
    if (!st) {
      d.leftAlone.push({ key: e.path, why: 'absent: deleted since by someone else (the restore deletes nothing)', preservedKey: e.preserved });
      continue;
    }
    const m = mine(e.path, st);
    if (m.ok) d.putBack.push(e);
    else d.leftAlone.push({ key: e.path, why: m.why, preservedKey: e.preserved });
  }
  for (const rel of undo.created) {
    const st = await lstatOrUndefined(destinationPath(undo.dir, rel));
    if (!st) continue;
    if (d.legacy) {
      if (st.isFile()) d.remove.push(rel);
      continue;
    }
    const m = mine(rel, st);
    if (m.ok) d.remove.push(rel);
    else d.leftAlone.push({ key: rel, why: m.why });
  }
  return d;
}

/**
 * Undo a restore into a directory from its record alone; idempotent. Preserved files are
 * renamed back (atomic) over the restore's own files, created files that are the restore's
 * removed, leftover temporary files removed, then the directories the restore created (if
 * empty) and the undo directory — except the preserved files of paths left alone (another
 * file is there now: the earlier bytes may be the only copy).
 */
export async function rollbackLocal(undo: LocalRestoreUndo): Promise<{ restored: number; deleted: number; leftAlone: LeftAlone[]; legacy: boolean }> {
  const d = await inspectLocal(undo);
  let restored = 0;
  let deleted = 0;
  for (const e of d.putBack) {
    const file = destinationPath(undo.dir, e.path);
    await mkdir(path.dirname(file), { recursive: true });
    await rename(destinationPath(undo.dir, e.preserved), file);
    restored++;
  }
  for (const rel of d.remove) {
    await unlink(destinationPath(undo.dir, rel));
    deleted++;
  }
  for (const rel of [...undo.overwritten.map((e) => e.path), ...undo.created]) await unlink(tempPath(destinationPath(undo.dir, rel), undo.undoId)).catch(() => undefined);
  const undoDir = destinationPath(undo.dir, undo.undoDir);
  const keep = d.leftAlone.filter((l) => l.preservedKey !== undefined);
  if (keep.length === 0) {
    await rm(undoDir, { recursive: true, force: true });
    await rmdirIfEmpty(path.join(undo.dir, UNDO_DIR));
  } else {
    // Only the preserved files of what was left alone stay; the rest of the undo directory goes.
    const stay = new Set(keep.map((l) => destinationPath(undo.dir, l.preservedKey as string)));
    await pruneExcept(undoDir, stay);
  }
  for (const rel of undo.createdDirs) await rmdirIfEmpty(destinationPath(undo.dir, rel));
  for (const dir of undo.createdRoots) await rmdirIfEmpty(dir);
  return { restored, deleted, leftAlone: d.leftAlone, legacy: d.legacy };
}

/** What a directory restore left (StepResult.left): every file under the directory after it, relative path → size and mtime. */
export interface LocalRestoreLeft {
  kind: 'local';
  dir: string;
  files: Record<string, { size: number; mtimeMs: number }>;
}

export function isLocalLeft(x: unknown, dir: string): x is LocalRestoreLeft {
  const o = x as Partial<LocalRestoreLeft> | null;
  return typeof o === 'object' && o !== null && o.kind === 'local' && o.dir === dir && typeof o.files === 'object' && o.files !== null;
}

/** Every regular file and symlink under `dir` (relative, `/`-separated), but the undo directory: what a restore left there, or what is there now. */
export async function filesUnder(dir: string): Promise<Map<string, Stats>> {
  const out = new Map<string, Stats>();
  const walk = async (abs: string, rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch (err) {
      if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return;
      throw err;
    }
    for (const e of entries) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (r === UNDO_DIR) continue;
      const p = path.join(abs, e.name);
      if (e.isDirectory()) await walk(p, r);
      else {
        const st = await lstatOrUndefined(p);
        if (st) out.set(r, st);
      }
    }
  };
  await walk(dir, '');
  return out;
}

export async function localLeft(dir: string): Promise<LocalRestoreLeft> {
  const files: LocalRestoreLeft['files'] = {};
  for (const [rel, st] of await filesUnder(dir)) files[rel] = { size: st.size, mtimeMs: st.mtimeMs };
  return { kind: 'local', dir, files };
}

/**
 * Drift of a directory restore: a file it wrote that is not as it left it (written over or
 * deleted since), or a file in the directory that was not there when it ended (something
 * is writing into it). Known only for a restore that completed (`left`); one stopped half-way
 * may have left any mix, and what is not its own write is left alone, not drift.
 */
export async function localDrift(undo: LocalRestoreUndo, left: LocalRestoreLeft): Promise<Array<{ resource: string; left: string; now: string }>> {
  const now = await filesUnder(undo.dir);
  const drift: Array<{ resource: string; left: string; now: string }> = [];
  const shown = (f: { size: number; mtimeMs: number }): string => `${f.size} bytes, modified ${new Date(f.mtimeMs).toISOString()}`;
  for (const rel of [...undo.created, ...undo.overwritten.map((e) => e.path)]) {
    const was = left.files[rel];
    if (was === undefined) continue;
    const cur = now.get(rel);
    if (!cur) drift.push({ resource: destinationPath(undo.dir, rel), left: shown(was), now: '(deleted)' });
    else if (!cur.isFile() || cur.size !== was.size || cur.mtimeMs !== was.mtimeMs) drift.push({ resource: destinationPath(undo.dir, rel), left: shown(was), now: `${describeFile(cur)} (written since)` });
  }
  for (const [rel, st] of now) {
    if (Object.hasOwn(left.files, rel)) continue;
    drift.push({ resource: destinationPath(undo.dir, rel), left: '(no such file)', now: `${describeFile(st)} (written into the restored directory since)` });
  }
  return drift;
}

/** Remove everything under `dir` but the files in `stay` (and the directories holding them). */
async function pruneExcept(dir: string, stay: ReadonlySet<string>): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (code(err) === 'ENOENT') return;
    throw err;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      await pruneExcept(p, stay);
      await rmdirIfEmpty(p);
    } else if (!stay.has(p)) await unlink(p);
  }
}

async function rmdirIfEmpty(p: string): Promise<void> {
  try {
    if ((await readdir(p)).length === 0) await rmdir(p);
  } catch (err) {
    if (code(err) !== 'ENOENT' && code(err) !== 'ENOTEMPTY' && code(err) !== 'ENOTDIR') throw err;
  }
}

export function describeLocalUndo(undo: LocalRestoreUndo): string {
  return `in ${undo.dir}: remove what the restore created (up to ${undo.created.length} file(s)), put back what it replaced (up to ${undo.overwritten.length} file(s)) from ${path.join(undo.dir, undo.undoDir)}`;
}
