/** Numbers for people: sizes in binary units, ages and rates. Used by both S3 step types. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `39_728_447_488` → `37.0 GiB`; bytes below 1 KiB stay exact (`512 B`). */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 1024) return `${Math.max(0, Math.round(n || 0))} B`;
  let v = n;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${UNITS[u]}`;
}

/** An age as an operator says it: `42s`, `47 min`, `26h 3m`, `3d 4h`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 72) return min % 60 ? `${h}h ${min % 60}m` : `${h}h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d}d ${h % 24}h` : `${d}d`;
}

/** `12.5 MiB/s` */
export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** `1 object`, `3 objects` */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Up to `max` items then `… (N in all)`, for error messages that name offenders. */
export function listSome(items: readonly string[], total: number, max = 10): string {
  const shown = items.slice(0, max).join(', ');
  return total > Math.min(items.length, max) ? `${shown}, … (${total} in all)` : shown;
}
