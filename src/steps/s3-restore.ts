/**
 * `s3.restore`: copy the objects under `source` as they were at `asOf` to `target`, an S3
 * prefix (server-side copies) or a local directory (streamed downloads).
 *
 * plan and execute share one survey: list the source (ListObjectsV2 for `latest`, else
 * ListObjectVersions and the version current at asOf, see restore/select.ts), list the
 * target once (existence, ETags, version ids: no HEAD per key), and decide per key with
 * the pure planRestore (create / overwrite / unchanged; unsafe keys refused).
 *
 * execute, in order: refuse unsafe keys (nothing written yet); build the undo record (or
 * take the first attempt's from ctx.priorUndo, adding only keys it does not cover) and
 * journal it with recordUndo; preserve what will be overwritten where versions cannot
 * (unversioned bucket, local directory); then copy with bounded concurrency and verify
 * each copy. An S3 target is copied a page of (at most) 1,000 keys at a time: right before
 * a page's first copy its key range is listed again and compared with the plan, and a key
 * that changed refuses the page before any of it is written (restore/target-pages.ts); each
 * copy is also conditional on what the plan saw, which AWS enforces (restore/s3-copy.ts).
 * A local target is guarded per file (restore/local-target.ts). Then one listing of an S3
 * target to confirm every written object is there with the expected size and the ETag its
 * copy returned (verify: size/checksum), and to record what the restore left, for the
 * drift check of its way back. An interrupt stops scheduling copies; in-flight ones finish.
 *
 * Requests to an S3 target, N objects to write, M in the target after: the survey (source
 * listing ceil(N/1000), target GetBucketVersioning + listing), one page re-list per 1,000
 * keys, one CopyObject per object, the final listing ceil(M/1000): ≈ 1.004 per object for
 * N = M = 2,000, on every endpoint. Plus a source HEAD per object when the source stores a
 * SHA-256 (its checksum verification), and on an unversioned target one CopyObject per
 * overwritten object (its preserved copy) and one listing of the preserved area. A local
 * target: one GetObject per object.
 *
 * `s3://b/db` means the folder `db/` (prefixes get a final `/`). Outputs: `objects` and
 * `bytes` are everything now in place as of asOf (written plus already identical),
 * `seconds` the step's wall time, `requests` the S3 requests it sent (retries included).
 *
 * Rollback works from the undo record (restore/undo.ts describes its shapes) and, for a step
 * that completed, what it left: it deletes or replaces only what the restore wrote, and
 * leaves anything else alone, naming it (restore/undo-check.ts), wherever the step stopped.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { UNDO_DIR, forEachConcurrent, type VersionEntry, groupByKey, isPlainMd5Etag, isS3Url, listObjects, listVersions, normalizeEtag, parseS3Url, s3Uri, type S3Location } from '../aws/s3.js';
import type { RestoreWith } from './s3-restore-type.js';
import { abortReason } from '../util/sleep.js';
import { closest } from '../util/suggest.js';
import { formatBytes, listSome, plural } from '../util/format.js';
import { describeLocalUndo, inspectLocal, isLocalLeft, localDrift, localLeft, preserveLocal, rollbackLocal, surveyLocal, writeLocal, type LocalRestoreLeft, type LocalSurvey } from './restore/local-target.js';
import { planRestore, type Action, type RestorePlan, type TargetObject } from './restore/plan.js';
import { Progress } from './restore/progress.js';
import { DEFAULT_MULTIPART_THRESHOLD, MAX_PART, copyObject, type CopySettings, type VerifyMode } from './restore/s3-copy.js';
import { bucketVersioning, currentObjects, describeS3Undo, preserveS3, readS3Target, rollbackS3 } from './restore/s3-target.js';
import { selectAsOf, type SourceObject } from './restore/select.js';
import { driftRefusal, inKeyOrder, listRange, pageDrift, pagesOf } from './restore/target-pages.js';
import { expectedOf, expectedRecord, isRestoreUndo, newUndoId, type LocalRestoreUndo, type LocalWriteExpectation, type RestoreUndo, type S3RestoreUndo, type S3WriteExpectation } from './restore/undo.js';
import { LEGACY_NOTE, changedSinceFirstAttempt, decideS3Undo, leftAloneText, localChangedSinceFirstAttempt, type LeftAlone, type ObjectNow } from './restore/undo-check.js';
import { StepError, type DriftItem, type PlanLine, type StepContext, type StepImpl, type StepPlan, type StepResult, type UndoPreview } from './types.js';
import { stepClients } from './aws-scope.js';

/** How many keys a plan lists. */
const PLAN_LINES = 20;
/** How far ahead of this machine's clock an asOf may be (clock skew) before it is refused. */
const FUTURE_SLACK_MS = 60_000;

type Target = { kind: 's3'; bucket: string; prefix: string; display: string } | { kind: 'local'; dir: string; display: string };

interface Config {
  source: S3Location;
  target: Target;
  /** undefined: latest. */
  asOfMs: number | undefined;
  asOfText: string;
  include: string | string[] | undefined;
  exclude: string | string[] | undefined;
  concurrency: number;
  verify: VerifyMode;
  copy: CopySettings;
  allowEmpty: boolean;
}

type S3Config = Config & { target: { kind: 's3' } };

/** `s3://b/db` means the "folder" db/, as with `aws s3 sync`: prefixes are made to end with `/`. */
function folder(loc: S3Location): S3Location {
  return { bucket: loc.bucket, prefix: loc.prefix === '' || loc.prefix.endsWith('/') ? loc.prefix : `${loc.prefix}/` };
}

function configOf(ctx: StepContext, w: RestoreWith): Config {
  const source = folder(parseS3Url(w.source));
  let target: Target;
  if (isS3Url(w.target)) {
    const t = folder(parseS3Url(w.target));
    target = { kind: 's3', bucket: t.bucket, prefix: t.prefix, display: s3Uri(t.bucket, t.prefix) };
    if (t.bucket === source.bucket && t.prefix !== source.prefix && (t.prefix.startsWith(source.prefix) || source.prefix.startsWith(t.prefix)))
      throw new StepError(`target ${w.target} overlaps source ${w.source}: one lies inside the other`, {
        hint: 'restore to a separate prefix (or bucket), or in place to exactly the source prefix',
      });
  } else {
    const dir = path.resolve(ctx.runbookDir, w.target);
    target = { kind: 'local', dir, display: dir };
  }
  let asOfMs: number | undefined;
  const asOfText = w.asOf ?? 'latest';
  if (asOfText !== 'latest') {
    asOfMs = Date.parse(asOfText);
    if (Number.isNaN(asOfMs)) throw new StepError(`bad asOf "${asOfText}"`, { hint: 'use latest or an ISO-8601 time with a zone, e.g. 2026-11-23T04:00:00Z' });
    // A time ahead of now selects the same as latest today, but it is almost always a typo
    // (a wrong year, a local time written as Z) and would quietly mean something else tomorrow.
    const now = ctx.now().getTime();
    if (asOfMs > now + FUTURE_SLACK_MS)
      throw new StepError(`asOf ${asOfText} is in the future (it is now ${new Date(now).toISOString()}): nothing restored`, {
        hint: 'check the date and the zone (Z is UTC), or use asOf: latest for the newest versions',
      });
  }
  const concurrency = w.concurrency ?? 16;
  const verify = w.verify ?? 'checksum';
  return {
    source,
    target,
    asOfMs,
    asOfText,
    include: w.include,
    exclude: w.exclude,
    concurrency,
    verify,
    allowEmpty: w.allowEmpty === true,
    copy: {
      verify,
      // CopyObject takes at most 5 GiB: larger objects are always copied in parts.
      multipartThreshold: Math.min(w.multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD, MAX_PART),
      partSize: w.partSize,
      partConcurrency: Math.min(8, concurrency),
    },
  };
}

interface Survey {
  cfg: Config;
  plan: RestorePlan;
  /** S3 target: whether the bucket keeps versions (Enabled). */
  versioned: boolean;
  local: LocalSurvey | undefined;
}

/** What the source listing saw, for the message when nothing is selected. */
interface SourceSeen {
  /** Versions (asOf) or objects (latest) listed under the prefix. */
  listed: number;
  /** The oldest version's time (asOf only). */
  earliest: Date | undefined;
}

/** The selected source objects, in key order. */
async function listSource(ctx: StepContext, s3: S3Client, cfg: Config): Promise<{ objects: SourceObject[]; seen: SourceSeen }> {
  const { bucket, prefix } = cfg.source;
  const out: SourceObject[] = [];
  const seen: SourceSeen = { listed: 0, earliest: undefined };
  if (cfg.asOfMs === undefined) {
    for await (const o of listObjects(s3, bucket, prefix, { signal: ctx.signal }))
      out.push({ key: o.Key as string, size: o.Size ?? 0, etag: normalizeEtag(o.ETag), lastModified: o.LastModified ?? new Date(0), checksumAlgorithms: (o.ChecksumAlgorithm ?? []).map(String) });
    seen.listed = out.length;
    return { objects: out, seen };
  }
  const status = await bucketVersioning(s3, bucket, ctx.signal);
  if (status === undefined)
    throw new StepError(`asOf ${cfg.asOfText} needs object versions, but versioning is not enabled on bucket ${bucket}`, {
      hint: `use asOf: latest, or enable versioning on ${bucket} (it keeps versions only from then on)`,
    });
  async function* counted(): AsyncGenerator<VersionEntry> {
    for await (const v of listVersions(s3, bucket, prefix, { signal: ctx.signal })) {
      seen.listed += 1;
      if (!v.deleteMarker && (seen.earliest === undefined || v.lastModified < seen.earliest)) seen.earliest = v.lastModified;
      yield v;
    }
  }
  for await (const o of selectAsOf(groupByKey(counted()), cfg.asOfMs)) out.push(o);
  return { objects: out, seen };
}

/**
 * Nothing selected: a mistyped prefix or an asOf before the first backup must not pass as
 * a successful restore of nothing. Says what was looked at and what is there instead.
 */
async function nothingToRestore(ctx: StepContext, s3: S3Client, cfg: Config, seen: SourceSeen, filtered: number): Promise<StepError> {
  const where = `s3://${cfg.source.bucket}/${cfg.source.prefix}`;
  const asOf = cfg.asOfMs === undefined ? 'asOf latest' : `asOf ${cfg.asOfText}`;
  const what = `nothing to restore: no object under ${where} (bucket ${cfg.source.bucket}, prefix "${cfg.source.prefix}", ${asOf})`;
  const allow = 'set allowEmpty: true on this step if an empty source is expected';
  if (filtered > 0) return new StepError(`${what}: include/exclude left out all ${plural(filtered, 'object')}`, { hint: `check include/exclude; or ${allow}` });
  if (seen.listed > 0 && seen.earliest !== undefined)
    return new StepError(`${what}: the oldest version under that prefix is from ${seen.earliest.toISOString()}, after asOf`, {
      hint: `choose an asOf after ${seen.earliest.toISOString()}, or asOf: latest; or ${allow}`,
    });
  if (seen.listed > 0) return new StepError(`${what}: every key there was deleted as of then`, { hint: `choose another asOf; or ${allow}` });
  return new StepError(`${what}: the prefix is empty`, { hint: `${await prefixHint(ctx, s3, cfg)}; or ${allow}` });
}

/** "did you mean": the folders next to a prefix that matched nothing (one listing, only on failure). */
async function prefixHint(ctx: StepContext, s3: S3Client, cfg: Config): Promise<string> {
  const { bucket, prefix } = cfg.source;
  const trimmed = prefix.replace(/\/$/, '');
  const parent = trimmed.includes('/') ? trimmed.slice(0, trimmed.lastIndexOf('/') + 1) : '';
  try {
    const r = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: parent, Delimiter: '/', MaxKeys: 1000 }), { abortSignal: ctx.signal });
    const near = (r.CommonPrefixes ?? []).map((p) => p.Prefix).filter((p): p is string => typeof p === 'string');
    const guess = closest(prefix, near);
    if (guess !== undefined) return `did you mean s3://${bucket}/${guess}?`;
    if (near.length > 0) return `prefixes under s3://${bucket}/${parent}: ${listSome(near, 5)}`;
  } catch {
    // only a hint: the failure above stands
  }
  return `check the source prefix (aws s3 ls s3://${bucket}/${parent})`;
}

async function survey(ctx: StepContext, s3: S3Client, cfg: Config): Promise<Survey> {
  const { objects: sources, seen } = await listSource(ctx, s3, cfg);
  const options = { sourcePrefix: cfg.source.prefix, include: cfg.include, exclude: cfg.exclude };
  let plan: RestorePlan;
  let versioned = false;
  let local: LocalSurvey | undefined;
  if (cfg.target.kind === 's3') {
    versioned = (await bucketVersioning(s3, cfg.target.bucket, ctx.signal)) === 'Enabled';
    const existing = await readS3Target(s3, cfg.target.bucket, cfg.target.prefix, versioned, ctx.signal);
    plan = planRestore(sources, existing, { ...options, target: 's3', targetPrefix: cfg.target.prefix });
  } else {
    // Which paths are concerned is known only after filtering and the safety check.
    const first = planRestore(sources, new Map(), { ...options, target: 'local' });
    if (first.refused.length === 0) {
      local = await surveyLocal(cfg.target.dir, first.actions);
      plan = planRestore(sources, local.existing, { ...options, target: 'local' });
    } else plan = first;
  }
  if (plan.refused.length > 0) {
    const names = plan.refused.map((r) => `${r.key} (${r.reason})`);
    throw new StepError(
      `refusing to restore: ${plural(plan.refused.length, 'source key')} would land outside ${cfg.target.display}: ${listSome(names, names.length)}`,
      { hint: 'nothing was written; rename or remove those keys in the source, or leave them out with exclude' },
    );
  }
  if (plan.actions.length === 0 && !cfg.allowEmpty) throw await nothingToRestore(ctx, s3, cfg, seen, plan.filtered);
  return { cfg, plan, versioned, local };
}

function destKey(cfg: Config, rel: string): string {
  return cfg.target.kind === 's3' ? cfg.target.prefix + rel : path.join(cfg.target.dir, ...rel.split('/'));
}

function fingerprint(sv: Survey): unknown {
  const h = createHash('sha256');
  const lines = sv.plan.actions.map((a) => {
    const e: TargetObject | undefined = a.existing;
    return `${a.rel}\t${e ? `${e.size}\t${e.etag ?? ''}\t${e.versionId ?? ''}\t${e.mtimeMs ?? ''}` : '-'}`;
  });
  for (const l of lines.sort()) h.update(`${l}\n`);
  return { target: sv.cfg.target.display, versioned: sv.versioned, keys: lines.length, state: h.digest('hex') };
}

function describeAction(cfg: Config, a: Action): string {
  const v = a.source.versionId ? `, version ${a.source.versionId}` : '';
  const dest = cfg.target.kind === 's3' ? s3Uri(cfg.target.bucket, destKey(cfg, a.rel)) : destKey(cfg, a.rel);
  const base = `${dest} (${formatBytes(a.source.size)}${v})`;
  if (a.kind !== 'overwrite' || !a.existing) return base;
  const was = a.existing.versionId ? `version ${a.existing.versionId}` : a.existing.etag ? `ETag ${a.existing.etag}` : formatBytes(a.existing.size);
  return `${base} replaces ${was}`;
}

function whenText(cfg: Config): string {
  return cfg.asOfMs === undefined ? 'latest' : `as of ${cfg.asOfText}`;
}

function requireUndo(prior: unknown, cfg: Config): RestoreUndo | undefined {
  if (prior === undefined || prior === null) return undefined;
  if (!isRestoreUndo(prior)) throw new StepError('the undo record of the earlier attempt is not one s3.restore understands', { hint: 'roll the run back by hand' });
  const same =
    (prior.kind === 's3' && cfg.target.kind === 's3' && prior.bucket === cfg.target.bucket && prior.prefix === cfg.target.prefix) ||
    (prior.kind === 'local' && cfg.target.kind === 'local' && prior.dir === cfg.target.dir);
  if (!same) throw new StepError(`the earlier attempt restored to another target than ${cfg.target.display}`, { hint: 'roll back the earlier run first' });
  return prior;
}

/** What the restore's copy of `a` will look like (restore/undo-check.ts compares it at undo). */
function s3Expectation(cfg: Config, a: Action): S3WriteExpectation {
  // A single-part CopyObject keeps a plain-MD5 source ETag; a multipart copy's ETag (or the copy of a
  // source uploaded in parts) is not known before the copy.
  const single = a.source.size <= cfg.copy.multipartThreshold && isPlainMd5Etag(a.source.etag);
  return single ? { size: a.source.size, etag: normalizeEtag(a.source.etag) } : { size: a.source.size };
}

/** What the restore's file at `a.rel` will look like: its size, and the mtime writeLocal gives it. */
function localExpectation(a: Action): LocalWriteExpectation {
  return { size: a.source.size, mtimeMs: a.source.lastModified.getTime() };
}

/**
 * Resume: a destination of the first attempt's record that now holds neither its state
 * from before the run nor the restore's write was written by someone else since. Going on
 * would copy over it (and the way back would then delete or replace it as the restore's):
 * refuse, nothing more written.
 */
function refuseChangedSinceFirstAttempt(cfg: Config, changed: ReadonlyArray<{ key: string; before: string; now: string }>): void {
  if (changed.length === 0) return;
  const where = (k: string): string => (cfg.target.kind === 's3' ? s3Uri(cfg.target.bucket, k) : k);
  const items = changed.map((c) => `${where(c.key)} (before the run ${c.before}, now ${c.now})`);
  throw new StepError(
    `${plural(changed.length, 'target key')} changed since the first attempt of this step, not by the restore: ${listSome(items, items.length, 5)}; refusing to go on: nothing more was written`,
    { hint: 'someone else is writing to the target: find out who and stop them; then roll this run back (the way back leaves what the restore did not write alone) and run lifeboat plan again' },
  );
}

/**
 * The undo record: the first attempt's (never re-captured: what is there now may be its
 * own writes), plus entries for destinations it did not cover. Journaled before any write.
 * With each entry goes what the restore's write will look like (`expected`), so the way
 * back can tell it from what someone else wrote, whatever point the step stops at.
 */
async function recordUndo(ctx: StepContext, sv: Survey, writes: readonly Action[]): Promise<RestoreUndo> {
  const { cfg } = sv;
  const prior = requireUndo(ctx.priorUndo, cfg);
  let added = false;
  if (cfg.target.kind === 's3') {
    let rec: S3RestoreUndo;
    if (prior?.kind === 's3') {
      rec = structuredClone(prior);
      if (rec.versioned !== sv.versioned)
        throw new StepError(`versioning of bucket ${cfg.target.bucket} changed since the first attempt`, { hint: 'roll back the earlier attempt first' });
      const now = new Map<string, ObjectNow>();
      for (const a of sv.plan.actions) if (a.existing) now.set(destKey(cfg, a.rel), { size: a.existing.size, etag: a.existing.etag });
      refuseChangedSinceFirstAttempt(cfg, changedSinceFirstAttempt(prior, sv.plan.actions.map((a) => destKey(cfg, a.rel)), now));
    } else {
      const undoId = newUndoId(ctx.step.id, ctx.now());
      rec = { v: 1, kind: 's3', bucket: cfg.target.bucket, prefix: cfg.target.prefix, versioned: sv.versioned, undoId, created: [], overwritten: [], expected: {} };
      if (!sv.versioned) rec.preservedPrefix = `${UNDO_DIR}/${undoId}/`;
    }
    // A record of an older lifeboat stays without expectations: rolled back as it always was.
    const expected = expectedOf(rec.expected);
    const known = new Set([...rec.created, ...rec.overwritten.map((e) => e.key)]);
    for (const a of writes) {
      const key = destKey(cfg, a.rel);
      if (known.has(key)) continue;
      added = true;
      if (a.existing)
        rec.overwritten.push({
          key,
          size: a.existing.size,
          etag: a.existing.etag,
          ...(rec.versioned ? { versionId: a.existing.versionId } : { preservedKey: `${rec.preservedPrefix}${key}` }),
        });
      else rec.created.push(key);
      expected?.set(key, s3Expectation(cfg, a));
    }
    if (expected) rec.expected = expectedRecord(expected);
    if (!prior || added) await ctx.recordUndo(rec);
    return rec;
  }
  const local = sv.local as LocalSurvey;
  let rec: LocalRestoreUndo;
  if (prior?.kind === 'local') {
    rec = structuredClone(prior);
    refuseChangedSinceFirstAttempt(cfg, localChangedSinceFirstAttempt(prior, local.existing));
  } else {
    const undoId = newUndoId(ctx.step.id, ctx.now());
    rec = { v: 1, kind: 'local', dir: cfg.target.dir, undoId, undoDir: `${UNDO_DIR}/${undoId}`, createdRoots: local.missingRoots, createdDirs: [], created: [], overwritten: [], expected: {} };
  }
  const expected = expectedOf(rec.expected);
  const known = new Set([...rec.created, ...rec.overwritten.map((e) => e.path)]);
  for (const a of writes) {
    if (known.has(a.rel)) continue;
    added = true;
    if (a.existing) rec.overwritten.push({ path: a.rel, size: a.existing.size, mtimeMs: a.existing.mtimeMs, preserved: `${rec.undoDir}/${a.rel}` });
    else rec.created.push(a.rel);
    expected?.set(a.rel, localExpectation(a));
  }
  if (expected) rec.expected = expectedRecord(expected);
  const dirs = new Set(rec.createdDirs);
  for (const d of local.missingDirs)
    if (!dirs.has(d)) {
      dirs.add(d);
      added = true;
    }
  rec.createdDirs = [...dirs].sort((a, b) => b.split('/').length - a.split('/').length || b.localeCompare(a));
  if (!prior || added) await ctx.recordUndo(rec);
  return rec;
}

interface Written {
  action: Action;
  etag: string | undefined;
}

/** Copies whose ETags the undo record learns a page at a time (LearnedEtags). */
const LEARN_BATCH = 1000;

/**
 * The ETags S3 gave copies the undo record could not foresee (a multipart copy, an SSE-KMS
 * target: `expected` has no ETag, or another one), added to the record as the restore goes
 * (`amendUndo`), so a step that stops half-way is undone over its own copies rather than
 * leaving them as someone else's. A copy made but not yet on record when the process dies
 * is left alone by the way back and named, as before.
 */
class LearnedEtags {
  private pending = new Map<string, { etag: string }>();
  private writing: Promise<void> = Promise.resolve();
  private readonly expected: ReadonlyMap<string, S3WriteExpectation> | undefined;

  constructor(
    private readonly ctx: StepContext,
    undo: S3RestoreUndo,
  ) {
    this.expected = expectedOf(undo.expected);
  }

  async add(key: string, etag: string | undefined): Promise<void> {
    // An older record without expectations is rolled back as it always was: nothing to learn.
    if (this.expected === undefined || etag === undefined) return;
    const want = this.expected.get(key);
    if (want === undefined || want.etag === etag) return;
    this.pending.set(key, { etag });
    if (this.pending.size >= LEARN_BATCH) await this.flush();
  }

  /** Journal what is pending (one entry), after any earlier one. */
  flush(): Promise<void> {
    if (this.pending.size === 0) return this.writing;
    const expected = expectedRecord(this.pending);
    this.pending = new Map();
    this.writing = this.writing.then(() => this.ctx.amendUndo({ expected }));
    return this.writing;
  }
}

/** What an S3 restore left (StepResult.left): every object under the target prefix after it, key → ETag. */
export interface S3RestoreLeft {
  kind: 's3';
  bucket: string;
  prefix: string;
  objects: Record<string, string | null>;
}

function leftOf(cfg: S3Config, after: Map<string, { etag: string | undefined }>): S3RestoreLeft {
  const objects: Record<string, string | null> = {};
  for (const [key, o] of after) if (!key.startsWith(`${UNDO_DIR}/`)) objects[key] = o.etag ?? null;
  return { kind: 's3', bucket: cfg.target.bucket, prefix: cfg.target.prefix, objects };
}

function isS3Left(x: unknown): x is S3RestoreLeft {
  const o = x as Partial<S3RestoreLeft> | null;
  return typeof o === 'object' && o !== null && o.kind === 's3' && typeof o.bucket === 'string' && typeof o.objects === 'object' && o.objects !== null;
}

/** What the step's result says it left, as a Map (own keys only), if it is for this bucket. */
function leftMap(undo: S3RestoreUndo, rawLeft: unknown): Map<string, string | null> | undefined {
  if (!isS3Left(rawLeft) || rawLeft.bucket !== undo.bucket) return undefined;
  return new Map(Object.entries(rawLeft.objects).map(([k, v]) => [k, typeof v === 'string' ? v : null]));
}

/**
 * The way back, read against the target: what the undo will delete and put back, what it
 * leaves alone because the restore did not write it (restore/undo-check.ts), and drift —
 * an object the restore wrote whose ETag is not the one it left (someone wrote over it, or
 * deleted it), or a key under the restored prefix that was not there after the restore (the
 * application is writing into it). For a restore that stopped half-way nothing is known of
 * what it left: what is not its own write is left alone, not drift.
 */
async function previewS3Undo(ctx: StepContext, undo: S3RestoreUndo, rawLeft: unknown): Promise<UndoPreview> {
  const s3 = await stepClients(ctx).s3();
  const now = await currentObjects(s3, undo.bucket, undo.prefix);
  const left = leftMap(undo, rawLeft);
  const decision = decideS3Undo(undo, now, left);
  const lines: PlanLine[] = [];
  const created = decision.remove;
  lines.push({ kind: 'remove', text: `delete ${plural(created.length, 'object')} the restore created under ${s3Uri(undo.bucket, undo.prefix)}${undo.versioned ? ' (delete markers)' : ''}` });
  for (const k of created.slice(0, PLAN_LINES)) lines.push({ kind: 'remove', text: `${s3Uri(undo.bucket, k)}: ETag ${now.get(k)?.etag ?? '?'} → (deleted)` });
  if (created.length > PLAN_LINES) lines.push({ kind: 'info', text: `… and ${created.length - PLAN_LINES} more` });
  const putBack = decision.putBack;
  lines.push({ kind: 'change', text: `put back ${plural(putBack.length, 'overwritten object')} (${undo.versioned ? 'the recorded previous versions' : 'the preserved copies'})` });
  for (const e of putBack.slice(0, PLAN_LINES)) lines.push({ kind: 'change', text: `${s3Uri(undo.bucket, e.key)}: ETag ${now.get(e.key)?.etag ?? '(none)'} → ${e.etag ?? '?'}` });
  if (putBack.length > PLAN_LINES) lines.push({ kind: 'info', text: `… and ${putBack.length - PLAN_LINES} more` });
  lines.push(...leftAloneLines(decision.leftAlone, decision.legacy, 'object', (k) => s3Uri(undo.bucket, k)));
  const drift: DriftItem[] = [];
  if (left !== undefined) {
    for (const key of [...undo.created, ...undo.overwritten.map((e) => e.key)]) {
      if (!left.has(key)) continue;
      const was = left.get(key) ?? null;
      const cur = now.get(key);
      if (!cur) drift.push({ resource: s3Uri(undo.bucket, key), left: `ETag ${was ?? '?'}`, now: '(deleted)' });
      else if (was !== null && cur.etag !== was) drift.push({ resource: s3Uri(undo.bucket, key), left: `ETag ${was}`, now: `ETag ${cur.etag ?? '?'} (written since)` });
    }
    for (const [key, o] of now) {
      if (key.startsWith(`${UNDO_DIR}/`) || left.has(key)) continue;
      drift.push({ resource: s3Uri(undo.bucket, key), left: '(no such key)', now: `new object, ETag ${o.etag ?? '?'} (written into the restored prefix since)` });
    }
  }
  return { lines, drift };
}

/**
 * The writes to an S3 target, a page at a time, each page re-checked right before its first
 * copy is started (restore/target-pages.ts). Pulled by forEachConcurrent as workers free up,
 * so the next page's listing runs while the last copies of the page before finish; a
 * refusal stops scheduling, in-flight copies (of the page before) finish.
 */
async function* checkedPages(ctx: StepContext, s3: S3Client, cfg: S3Config, actions: readonly Action[]): AsyncGenerator<Action> {
  const { bucket, prefix } = cfg.target;
  const pages = pagesOf(inKeyOrder(actions, (a) => prefix + a.rel));
  let after: string | undefined;
  for (const [index, page] of pages.entries()) {
    const last = prefix + (page[page.length - 1] as Action).rel;
    const writes = page.filter((a) => a.kind !== 'unchanged');
    if (writes.length > 0) {
      const listed = await listRange(s3, bucket, prefix, after, last, ctx.signal);
      const planned = page.map((a) => ({ key: prefix + a.rel, seen: a.existing ? { etag: a.existing.etag } : undefined }));
      const drift = pageDrift(planned, listed);
      if (drift.length > 0) throw driftRefusal(bucket, drift, { index, count: pages.length, keys: page.length });
      yield* writes;
    }
    after = last;
  }
}

/** One listing of the target after the copies: every written object is there, with the right size and the ETag its copy returned. */
function checkWritten(cfg: S3Config, written: readonly Written[], now: Map<string, { size: number; etag: string | undefined }>): void {
  if (cfg.verify === 'none' || written.length === 0) return;
  const bad: string[] = [];
  for (const w of written) {
    const key = cfg.target.prefix + w.action.rel;
    const cur = now.get(key);
    if (!cur) bad.push(`${key} (missing)`);
    else if (cur.size !== w.action.source.size) bad.push(`${key} (size ${cur.size}, expected ${w.action.source.size})`);
    else if (cfg.verify === 'checksum' && w.etag && cur.etag !== w.etag) bad.push(`${key} (ETag ${cur.etag}, the copy made ${w.etag}: changed after it was copied)`);
  }
  if (bad.length > 0)
    throw new StepError(`after the restore, ${plural(bad.length, 'object')} under ${cfg.target.display} ${bad.length === 1 ? 'is' : 'are'} not what was copied: ${listSome(bad, bad.length)}`, {
      hint: 'something else wrote to the target while restoring; roll back and retry',
    });
}

function concurrencyOf(w: unknown): number {
  const c = (w as { concurrency?: unknown } | undefined)?.concurrency;
  const n = typeof c === 'number' ? c : typeof c === 'string' ? Number(c) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 256 ? n : 16;
}

/** The outcome's account of what the way back did not touch, and why (every key: the operator must be able to find them). */
function reportLeftAlone(ctx: StepContext, leftAlone: readonly LeftAlone[], legacy: boolean, noun: 'object' | 'file', where: (key: string) => string): void {
  if (leftAlone.length > 0) {
    ctx.out.info(`left alone ${plural(leftAlone.length, noun)} the restore did not write (check whose they are):`);
    for (const t of leftAloneText(leftAlone, where)) ctx.out.info(`  ${t}`);
  }
  if (legacy) ctx.out.info(`note: ${LEGACY_NOTE}`);
}

/** The way back of a restore into a directory, read against it (lstat only). */
/** The way back of a directory restore, read against the directory: as previewS3Undo, with files for objects. */
async function previewLocalUndo(undo: LocalRestoreUndo, rawLeft: unknown): Promise<UndoPreview> {
  const { leftAlone, legacy } = await inspectLocal(undo);
  const drift = isLocalLeft(rawLeft, undo.dir) ? await localDrift(undo, rawLeft) : [];
  return { lines: [{ kind: 'change', text: describeLocalUndo(undo) }, ...leftAloneLines(leftAlone, legacy, 'file', (p) => path.join(undo.dir, ...p.split('/')))], drift };
}

/** The preview's account of what the way back will not touch (the first PLAN_LINES of them), and the note for an older record. */
function leftAloneLines(leftAlone: readonly LeftAlone[], legacy: boolean, noun: 'object' | 'file', where: (key: string) => string): PlanLine[] {
  const lines: PlanLine[] = [];
  if (leftAlone.length > 0) {
    lines.push({ kind: 'info', text: `leave alone ${plural(leftAlone.length, noun)} the restore did not write:` });
    const texts = leftAloneText(leftAlone, where);
    for (const t of texts.slice(0, PLAN_LINES)) lines.push({ kind: 'info', text: t });
    if (texts.length > PLAN_LINES) lines.push({ kind: 'info', text: `… and ${texts.length - PLAN_LINES} more` });
  }
  if (legacy) lines.push({ kind: 'info', text: `note: ${LEGACY_NOTE}` });
  return lines;
}

export const s3RestoreStep: StepImpl<RestoreWith> = {
  type: 's3.restore',

  async plan(ctx: StepContext, w: RestoreWith): Promise<StepPlan> {
    const cfg = configOf(ctx, w);
    const s3 = await stepClients(ctx).s3();
    const sv = await survey(ctx, s3, cfg);
    const { plan } = sv;
    const bytesOf = (kind: Action['kind']): string => formatBytes(plan.actions.filter((a) => a.kind === kind).reduce((n, a) => n + a.source.size, 0));
    const lines: PlanLine[] = [
      {
        kind: 'info',
        text: `${cfg.asOfMs === undefined ? 'latest versions' : `versions current at ${cfg.asOfText}`}: create ${plan.creates} (${bytesOf('create')}), overwrite ${plan.overwrites} (${bytesOf('overwrite')}), unchanged ${plan.unchanged} (${bytesOf('unchanged')})`,
      },
    ];
    const writes = plan.actions.filter((a) => a.kind !== 'unchanged');
    for (const a of writes.slice(0, PLAN_LINES)) lines.push({ kind: a.kind === 'create' ? 'add' : 'change', text: describeAction(cfg, a) });
    if (writes.length > PLAN_LINES) lines.push({ kind: 'info', text: `… and ${writes.length - PLAN_LINES} more` });
    if (plan.unchanged) lines.push({ kind: 'info', text: `${plural(plan.unchanged, 'object')} already in place (same size and ETag): left alone` });
    if (plan.filtered) lines.push({ kind: 'info', text: `${plural(plan.filtered, 'object')} left out by include/exclude` });
    if (cfg.target.kind === 's3')
      lines.push({ kind: 'info', text: sv.versioned ? 'target is versioned: overwritten objects stay as previous versions' : `target is not versioned: overwritten objects are first copied to ${UNDO_DIR}/` });
    const toWrite = plan.creates + plan.overwrites;
    return {
      summary:
        `restore ${plural(plan.actions.length, 'object')} (${formatBytes(plan.bytesTotal)}) from ${s3Uri(cfg.source.bucket, cfg.source.prefix)} ${whenText(cfg)} to ${cfg.target.display}: ` +
        `${plan.creates} new, ${plan.overwrites} overwritten, ${plan.unchanged} unchanged (${formatBytes(plan.bytesToWrite)} to write)`,
      lines,
      counts: { objects: toWrite, overwrites: plan.overwrites, bytes: plan.bytesToWrite },
      mutating: toWrite > 0,
      fingerprint: fingerprint(sv),
    };
  },

  async execute(ctx: StepContext, w: RestoreWith): Promise<StepResult> {
    const started = performance.now();
    const requestsBefore = ctx.aws.requests.total();
    const cfg = configOf(ctx, w);
    const s3 = await stepClients(ctx).s3();
    const sv = await survey(ctx, s3, cfg);
    const { plan } = sv;
    const writes = plan.actions.filter((a) => a.kind !== 'unchanged');
    const outputs = (): StepResult['outputs'] => ({
      objects: plan.actions.length,
      bytes: plan.bytesTotal,
      seconds: Math.round((performance.now() - started) / 10) / 100,
      requests: ctx.aws.requests.total() - requestsBefore,
    });
    if (ctx.dryRun) return { outputs: { ...outputs(), objects: 0, bytes: 0 }, summary: `dry-run: would write ${plural(writes.length, 'object')} (${formatBytes(plan.bytesToWrite)})` };

    let copiedBytes = 0;
    const written: Written[] = [];
    if (writes.length > 0) {
      // Undo before anything changes, then preserve what versions cannot keep.
      const undo = await recordUndo(ctx, sv, writes);
      if (undo.kind === 's3') {
        const existing = new Map(writes.map((a) => [destKey(cfg, a.rel), a.existing]));
        const toPreserve = undo.overwritten.filter((e) => {
          const cur = existing.get(e.key);
          return cur !== undefined && cur.etag === e.etag; // still what was captured (else: written by the earlier attempt, already preserved)
        });
        await preserveS3(s3, undo, toPreserve, cfg.copy, cfg.concurrency);
      } else await preserveLocal(undo);

      const progress = new Progress(ctx.out, writes.length, plan.bytesToWrite);
      const learned = undo.kind === 's3' ? new LearnedEtags(ctx, undo) : undefined;
      try {
        await forEachConcurrent(
          cfg.target.kind === 's3' ? checkedPages(ctx, s3, cfg as S3Config, plan.actions) : writes,
          cfg.concurrency,
          async (a) => {
            const onBytes = (n: number): void => {
              progress.addBytes(n);
              copiedBytes += n;
            };
            if (cfg.target.kind === 's3') {
              const r = await copyObject(
                s3,
                {
                  from: { bucket: cfg.source.bucket, ...a.source },
                  to: { bucket: cfg.target.bucket, key: destKey(cfg, a.rel) },
                  expect: a.existing ? { exists: true, etag: a.existing.etag } : { exists: false },
                },
                { ...cfg.copy, onBytes },
              );
              written.push({ action: a, etag: r.etag });
              await learned?.add(destKey(cfg, a.rel), r.etag);
            } else {
              await writeLocal(s3, cfg.target.dir, undo.undoId, { bucket: cfg.source.bucket, source: a.source, rel: a.rel, expect: a.existing }, cfg.verify, onBytes);
              written.push({ action: a, etag: undefined });
            }
            progress.addObject();
          },
          ctx.signal,
        );
      } catch (err) {
        // An interrupt during a page re-list surfaces as the abort itself: reported below.
        if (!ctx.signal.aborted) throw err;
      } finally {
        progress.stop();
        // Whatever stopped the step: the ETags of the copies it made go on record first.
        await learned?.flush();
      }
      if (ctx.signal.aborted) {
        ctx.out.info(`interrupted: ${written.length} of ${writes.length} objects written; the rest were not started`);
        throw abortReason(ctx.signal);
      }
    }
    // What the restore left, for the way back's drift check (and the read-back check of what it wrote).
    let left: S3RestoreLeft | LocalRestoreLeft | undefined;
    if (cfg.target.kind === 's3') {
      const s3cfg = cfg as S3Config;
      const after = await currentObjects(s3, s3cfg.target.bucket, s3cfg.target.prefix);
      checkWritten(s3cfg, written, after);
      left = leftOf(s3cfg, after);
    } else {
      left = await localLeft(cfg.target.dir);
    }
    const out = outputs();
    return {
      ...(left ? { left } : {}),
      outputs: out,
      summary:
        `restored ${plural(plan.actions.length, 'object')} (${formatBytes(plan.bytesTotal)}) ${whenText(cfg)} to ${cfg.target.display}: ` +
        `${written.length} written (${formatBytes(copiedBytes)}), ${plan.unchanged} already in place, ${out.seconds}s, ${out.requests} requests`,
    };
  },

  async rollback(ctx: StepContext, w: RestoreWith, undo: unknown, left?: unknown): Promise<void> {
    if (undo === undefined || undo === null) return;
    if (!isRestoreUndo(undo)) throw new StepError('cannot roll back s3.restore: the undo record is not in a known form', { hint: 'inspect the journal and restore by hand' });
    if (undo.kind === 'local') {
      const r = await rollbackLocal(undo);
      ctx.out.info(`put back ${plural(r.restored, 'file')}, removed ${plural(r.deleted, 'file')} in ${undo.dir}`);
      reportLeftAlone(ctx, r.leftAlone, r.legacy, 'file', (p) => path.join(undo.dir, ...p.split('/')));
      return;
    }
    const s3 = await stepClients(ctx).s3();
    const concurrency = concurrencyOf(w);
    const r = await rollbackS3(
      s3,
      undo,
      leftMap(undo, left),
      { verify: 'checksum', multipartThreshold: DEFAULT_MULTIPART_THRESHOLD, partSize: undefined, partConcurrency: Math.min(8, concurrency) },
      concurrency,
    );
    ctx.out.info(`put back ${plural(r.restored, 'object')}, removed ${plural(r.deleted, 'object')} under ${s3Uri(undo.bucket, undo.prefix)}`);
    reportLeftAlone(ctx, r.leftAlone, r.legacy, 'object', (k) => s3Uri(undo.bucket, k));
  },

  async previewUndo(ctx: StepContext, _w: RestoreWith, undo: unknown, left: unknown): Promise<UndoPreview> {
    if (!isRestoreUndo(undo)) return { lines: [{ kind: 'info', text: 'nothing recorded to undo' }], drift: [] };
    if (undo.kind === 'local') return previewLocalUndo(undo, left);
    return previewS3Undo(ctx, undo, left);
  },

  describeUndo(_w: RestoreWith, undo: unknown): string {
    if (!isRestoreUndo(undo)) return 'nothing recorded to undo';
    return undo.kind === 's3' ? describeS3Undo(undo) : describeLocalUndo(undo);
  },
};
