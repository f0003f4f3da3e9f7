/**
 * JSON Merge Patch (RFC 7386): how an `undo-amend` entry adds to a step's undo record what
 * the step learned while acting (e.g. the ETag S3 gave a copy, which the record could not
 * know before it). Objects merge key by key, `null` removes a key, anything else replaces.
 * Pure; neither argument is changed.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: Record<string, unknown> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
