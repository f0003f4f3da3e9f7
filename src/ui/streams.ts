/**
 * Output that cannot be written is dropped, never fatal: `lifeboat run … | head` closes
 * stdout half-way, a closed terminal turns every write into EIO. Without a listener Node
 * throws those as unhandled 'error' events and the run dies with DNS failed over and no
 * rollback; with it the run ends as it would have with its output going to /dev/null.
 */
const guarded = new WeakSet<NodeJS.WritableStream>();

export function dropOutputErrors(stream: NodeJS.WritableStream, onFirst?: (err: Error) => void): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  let reported = false;
  stream.on('error', (err: Error) => {
    if (reported) return;
    reported = true;
    onFirst?.(err);
  });
}
