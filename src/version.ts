/**
 * The installed lifeboat's version, from its package.json (dist/src/version.js sits two
 * levels below the package root, as src/version.ts does below the repository's).
 */
import { readFileSync } from 'node:fs';

let cached: string | undefined;

export function lifeboatVersion(): string {
  if (cached !== undefined) return cached;
  for (const rel of ['../../package.json', '../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'lifeboat' && typeof pkg.version === 'string') return (cached = pkg.version);
    } catch {
      // not there: try the next candidate
    }
  }
  return (cached = '0.0.0');
}

/** The user agent lifeboat names itself by, in every AWS request and webhook POST. */
export function userAgent(): string {
  return `lifeboat/${lifeboatVersion()}`;
}
