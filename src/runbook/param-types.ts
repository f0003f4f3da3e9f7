/**
 * Param types (contract §2: `type: string|number|boolean|duration|timestamp|s3-url` and
 * `enum: [...]`): what a value given with --param, the environment or a default must be.
 * Pure; used by the loader (defaults) and by resolveParams (every value, before anything runs).
 */
import { DURATION_HINT, isDuration } from './duration.js';
import { isIsoInstant, S3_URL, TIME_HINT } from './fields.js';

export const PARAM_TYPES = ['string', 'number', 'boolean', 'duration', 'timestamp', 's3-url'] as const;
export type ParamType = (typeof PARAM_TYPES)[number];

export interface TypedParam {
  type?: ParamType | undefined;
  enum?: ReadonlyArray<string | number | boolean> | undefined;
  secret?: boolean | undefined;
}

/** Why `value` is not acceptable for the param, or undefined when it is. */
export function paramValueProblem(spec: TypedParam, value: string): string | undefined {
  const shown = spec.secret ? 'the value given (secret, not shown)' : JSON.stringify(value);
  const typeProblem = spec.type === undefined ? undefined : typeMismatch(spec.type, value);
  if (typeProblem) return `${shown} is not ${typeProblem}`;
  if (spec.enum !== undefined && !spec.enum.map(String).includes(value)) {
    return `${shown} is not one of ${spec.enum.map((v) => JSON.stringify(String(v))).join(', ')}`;
  }
  return undefined;
}

/** What the value should have been ("a number", "a duration: …"), or undefined when it fits. */
function typeMismatch(type: ParamType, value: string): string | undefined {
  switch (type) {
    case 'string':
      return undefined;
    case 'number':
      // Decimal, as written in a runbook: `0x10` or `1e3_0` would be substituted as typed, not as the number they read as.
      return /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(value) ? undefined : 'a number';
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : 'true or false';
    case 'duration':
      return isDuration(value) ? undefined : `a duration (${DURATION_HINT})`;
    case 'timestamp':
      return isIsoInstant(value) ? undefined : `a timestamp (${TIME_HINT})`;
    case 's3-url':
      return S3_URL.test(value) ? undefined : 'an S3 URL (s3://bucket/prefix/)';
  }
}
