/**
 * `--notify <url>` while a run runs (issue 15, item 4): a JSON POST per step start, result,
 * failure and undo and at the run's start and end, each with a Slack-compatible `text`;
 * a webhook that answers 500 or never answers changes neither the outcome nor the exit code.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { ROOT, runCli, tempDir } from '../helpers/cli.js';

interface Received {
  contentType: string;
  userAgent: string;
  body: string;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/** A webhook on loopback: records every POST and answers with `status` (or never, for 'hang'). */
async function webhook(answer: number | 'hang'): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ contentType: String(req.headers['content-type']), userAgent: String(req.headers['user-agent']), body });
      if (answer === 'hang') return;
      res.writeHead(answer, { 'content-type': 'text/plain' });
      res.end(answer === 200 ? 'ok' : 'nope');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/T000/secret-token`, received };
}

/** Two local steps, the second failing when asked: no AWS involved. */
function runbook(dir: string, failSecond: boolean): string {
  const file = join(dir, 'notify.yaml');
  const write = join(ROOT, 'test/fixtures/write-marker.mjs');
  const remove = join(ROOT, 'test/fixtures/remove-file.mjs');
  const exit = join(ROOT, 'test/fixtures/exit-with.mjs');
  writeFileSync(
    file,
    [
      'version: 1',
      'name: notify-demo',
      'steps:',
      '  - id: make-marker',
      '    type: shell',
      `    with: { run: [node, ${write}, ${join(dir, 'marker')}] }`,
      `    rollback: { run: [node, ${remove}, ${join(dir, 'marker')}] }`,
      '  - id: second',
      '    type: shell',
      `    with: { run: [node, ${exit}, "${failSecond ? 3 : 0}"] }`,
      '',
    ].join('\n'),
  );
  return file;
}

test('run --notify: a POST naming each step, JSON bodies with a text line, in order', async () => {
  const hook = await webhook(200);
  const dir = tempDir();
  const r = await runCli(['run', runbook(dir, false), '--yes', '--notify', hook.url, '--state-dir', join(dir, 'state')]);
  expect(r.code, r.stderr).toBe(0);
  const events = hook.received.map((h) => JSON.parse(h.body) as { event: string; stepId?: string; text: string; runId: string; version: number });
  expect(events.map((e) => [e.event, e.stepId ?? null])).toEqual([
    ['run-start', null],
    ['step-start', 'make-marker'],
    ['step-result', 'make-marker'],
    ['step-start', 'second'],
    ['step-result', 'second'],
    ['run-end', null],
  ]);
  for (const e of events) {
    expect(e.version).toBe(1);
    expect(e.text).toContain('notify-demo');
  }
  expect(new Set(events.map((e) => e.runId)).size).toBe(1);
  expect(hook.received.every((h) => h.contentType === 'application/json' && /^lifeboat\/\d/.test(h.userAgent))).toBe(true);
  expect(r.stderr).not.toContain('warning');
});

test('a failed step and its rollback are told too: step-failed, undo start and done, run-end rolled back', async () => {
  const hook = await webhook(200);
  const dir = tempDir();
  const r = await runCli(['run', runbook(dir, true), '--yes', '--notify', hook.url, '--state-dir', join(dir, 'state')]);
  expect(r.code, r.stderr).toBe(1);
  const events = hook.received.map((h) => JSON.parse(h.body) as { event: string; stepId?: string; outcome?: string; text: string });
  expect(events.filter((e) => e.event === 'step-failed').map((e) => e.stepId)).toEqual(['second']);
  // Newest first: the failed step (which may have changed something) is undone before make-marker.
  expect(events.filter((e) => e.event === 'undo' && e.stepId === 'make-marker').map((e) => e.outcome)).toEqual(['start', 'done']);
  expect(events.findIndex((e) => e.event === 'step-failed')).toBeLessThan(events.findIndex((e) => e.event === 'undo'));
  expect(events.at(-1)).toMatchObject({ event: 'run-end', outcome: 'rolledBack' });
});

test('a step that cannot be undone is told as not undone, and the rolled-back end names it instead of "every completed step was undone"', async () => {
  const hook = await webhook(200);
  const dir = tempDir();
  const file = join(dir, 'once.yaml');
  const exit = join(ROOT, 'test/fixtures/exit-with.mjs');
  writeFileSync(
    file,
    ['version: 1', 'name: notify-once', 'steps:', '  - id: tell-customers', '    type: shell', '    with: { run: [echo, sent] }', '    rollback: false', '  - id: second', '    type: shell', `    with: { run: [node, ${exit}, "3"] }`, ''].join('\n'),
  );
  const r = await runCli(['run', file, '--yes', '--confirm', 'tell-customers=tell-customers', '--notify', hook.url, '--state-dir', join(dir, 'state')]);
  expect(r.code, r.stderr).toBe(1);
  const events = hook.received.map((h) => JSON.parse(h.body) as { event: string; stepId?: string; outcome?: string; text: string });
  const undo = events.filter((e) => e.event === 'undo' && e.stepId === 'tell-customers' && e.outcome === 'done');
  expect(undo.map((e) => e.text)).toEqual([expect.stringContaining('tell-customers NOT undone')]);
  const end = events.at(-1);
  expect(end).toMatchObject({ event: 'run-end', outcome: 'rolledBack' });
  expect(end?.text).toContain('except: tell-customers (not undone)');
  expect(end?.text).not.toContain('every completed step was undone');
});

test.each([
  ['answers 500', 500 as const],
  ['never answers', 'hang' as const],
])('a webhook that %s changes neither the outcome nor the exit code', async (_, answer) => {
  const hook = await webhook(answer);
  const dir = tempDir();
  const started = Date.now();
  const r = await runCli(['run', runbook(dir, false), '--yes', '--json', '--notify', hook.url, '--state-dir', join(dir, 'state')]);
  expect(r.code, r.stderr).toBe(0);
  expect((JSON.parse(r.stdout) as { final: string }).final).toBe('completed');
  expect(hook.received.length).toBeGreaterThan(0);
  // A warning, naming only the webhook's origin (its path holds a token).
  expect(r.stderr).toMatch(/warning: .*notification/);
  expect(r.stderr).not.toContain('secret-token');
  // Bounded: a dead webhook costs seconds, not minutes.
  expect(Date.now() - started).toBeLessThan(40_000);
});
