import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Step } from '../../src/runbook/model.js';
import type { ShellWith } from '../../src/steps/shell.js';
import { shellStep } from '../../src/steps/shell.js';
import { StepError } from '../../src/steps/types.js';
import { testContext, testStep, type TestStepContext } from '../helpers/step-context.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));
const fixture = (name: string): string => path.join(FIXTURES, name);

function shell(w: ShellWith, extra: Partial<Step> = {}, overrides: Parameters<typeof testContext>[1] = {}): { ctx: TestStepContext; w: ShellWith } {
  const ctx = testContext(testStep('shell', w, extra), { runbookDir: FIXTURES, ...overrides });
  return { ctx, w };
}

async function failure(p: Promise<unknown>): Promise<StepError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StepError);
  return err as StepError;
}

/** The process has ended (a zombie, dead but not yet reaped by its new parent, counts as ended). */
async function expectGone(pid: number): Promise<void> {
  expect(pid).toBeGreaterThan(0);
  const alive = (): boolean => {
    try {
      process.kill(pid, 0);
    } catch {
      return false;
    }
    try {
      return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
    } catch {
      return true;
    }
  };
  for (let i = 0; i < 20 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(alive(), `process ${pid} still running`).toBe(false);
}

const tmpDirs: string[] = [];
function tmp(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'lifeboat-shell-'));
  tmpDirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('shell: argv is data, never a shell line', () => {
  it('passes hostile arguments verbatim, one argv element each', async () => {
    const hostile = [
      'two words',
      '; rm -rf /',
      '$(whoami)',
      '`id`',
      'line one\nline two',
      `"double" and 'single' quotes`,
      '$HOME ${PATH} | cat > /tmp/x && echo pwned',
      '',
      '*',
      '-n',
    ];
    const { ctx, w } = shell({ run: ['node', fixture('echo-args.mjs'), ...hostile] });
    const result = await shellStep.execute(ctx, w);
    expect(JSON.parse(String(result.outputs.stdout))).toEqual(hostile);
    expect(result.outputs.exitCode).toBe(0);
  });

  it('runs a script by a path relative to the runbook directory', async () => {
    const { ctx, w } = shell({ run: ['./scripts/hello.sh', 'world'] });
    const result = await shellStep.execute(ctx, w);
    expect(result.outputs.stdout).toBe('hello world');
  });
});

describe('shell: exit codes', () => {
  it('fails on a non-zero exit, quoting the last lines of stderr', async () => {
    const { ctx, w } = shell({ run: ['node', fixture('exit-with.mjs'), '3', 'some output', 'database is locked'] });
    const err = await failure(shellStep.execute(ctx, w));
    expect(err.message).toMatch(/exited with code 3 \(expected 0\)/);
    expect(err.message).toContain('database is locked');
    expect(err.hint).toBeTruthy();
  });

  it('accepts an exit code listed in exitCodes and reports it', async () => {
    const { ctx, w } = shell({ run: ['node', fixture('exit-with.mjs'), '3', 'partial'], exitCodes: [0, 3] });
    const result = await shellStep.execute(ctx, w);
    expect(result.outputs).toEqual({ stdout: 'partial', exitCode: 3 });
  });

  it('rejects exit 0 when exitCodes does not list it', async () => {
    const { ctx, w } = shell({ run: ['node', fixture('exit-with.mjs'), '0'], exitCodes: [1, 2] });
    const err = await failure(shellStep.execute(ctx, w));
    expect(err.message).toMatch(/exited with code 0 \(expected one of 1, 2\)/);
  });
});

describe('shell: timeouts and interrupts', () => {
  it('kills a command that outlives its timeout and says so', async () => {
    const { ctx, w } = shell({ run: ['node', fixture('sleep.mjs'), '20000'], timeout: '500ms' });
    const started = Date.now();
    const err = await failure(shellStep.execute(ctx, w));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err.message).toMatch(/timed out after 500ms/);
    expect(err.message).toContain('SIGTERM');
    expect(ctx.streamed).toContain('started');
    expect(ctx.streamed).not.toContain('finished');
  });

  it('sends SIGKILL when a timed-out command ignores SIGTERM', async () => {
    const { ctx, w } = shell({ run: ['node', fixture('sleep.mjs'), '30000', 'ignore-term'], timeout: '500ms' });
    const started = Date.now();
    const err = await failure(shellStep.execute(ctx, w));
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(err.message).toMatch(/timed out after 500ms/);
    expect(err.message).toContain('SIGKILL');
  });

  it("a timeout also stops what the command started (its child's sleep holds the output pipe)", async () => {
    const pidFile = path.join(tmp(), 'child.pid');
    const { ctx, w } = shell({ run: ['./scripts/slow.sh', '30', pidFile], timeout: '500ms' });
    const started = Date.now();
    const err = await failure(shellStep.execute(ctx, w));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err.message).toMatch(/timed out after 500ms/);
    expect(ctx.streamed).toBe('started\n');
    await expectGone(Number(readFileSync(pidFile, 'utf8')));
  });

  it('an interrupt also stops what the command started', async () => {
    const controller = new AbortController();
    const pidFile = path.join(tmp(), 'child.pid');
    const { ctx, w } = shell({ run: ['./scripts/slow.sh', '30', pidFile] }, {}, { signal: controller.signal });
    ctx.out.stream = (chunk) => {
      ctx.streamed += chunk;
      if (ctx.streamed.includes('started')) setTimeout(() => controller.abort(), 200);
    };
    const started = Date.now();
    await expect(shellStep.execute(ctx, w)).rejects.toThrow(/abort/i);
    expect(Date.now() - started).toBeLessThan(10_000);
    await expectGone(Number(readFileSync(pidFile, 'utf8')));
  });

  it('does not hang on a background process the command left behind', async () => {
    const { ctx, w } = shell({ run: ['./scripts/daemonize.sh', '30'] });
    const started = Date.now();
    const result = await shellStep.execute(ctx, w);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(result.outputs.stdout).toBe('leaving a background process\ndone');
    expect(ctx.lines.join('\n')).toMatch(/background process/);
  });

  it('stops the command when the run is interrupted (ctx.signal)', async () => {
    const controller = new AbortController();
    const { ctx, w } = shell({ run: ['node', fixture('sleep.mjs'), '20000'] }, {}, { signal: controller.signal });
    ctx.out.stream = (chunk) => {
      ctx.streamed += chunk;
      if (ctx.streamed.includes('started')) controller.abort();
    };
    const started = Date.now();
    const err = await shellStep.execute(ctx, w).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('AbortError');
    expect(err).not.toBeInstanceOf(StepError);
    expect(ctx.streamed).not.toContain('finished');
  });

  it('does not start at all when already interrupted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('operator pressed Ctrl-C'));
    const dir = tmp();
    const marker = path.join(dir, 'ran');
    const { ctx, w } = shell({ run: ['node', fixture('write-marker.mjs'), marker] }, {}, { signal: controller.signal });
    await expect(shellStep.execute(ctx, w)).rejects.toThrow('operator pressed Ctrl-C');
    expect(existsSync(marker)).toBe(false);
  });
});

describe('shell: errors for people', () => {
  it('says which command was not found, where, and what to check', async () => {
    const { ctx, w } = shell({ run: ['./scripts/announce.sh', 'failover done'] });
    const err = await failure(shellStep.execute(ctx, w));
    expect(err.message).toContain('command not found: ./scripts/announce.sh');
    expect(err.message).toContain(`(cwd: ${path.resolve(FIXTURES)})`);
    expect(err.message).toContain('check the path or PATH');
    expect(err.hint).toMatch(/working directory/);
  });

  it('says a bare command is not on PATH', async () => {
    const { ctx, w } = shell({ run: ['lifeboat-no-such-command-7f3a'] });
    const err = await failure(shellStep.execute(ctx, w));
    expect(err.message).toContain('command not found: lifeboat-no-such-command-7f3a');
    expect(err.hint).toMatch(/not on PATH/);
  });

  it('says a script is not executable', async () => {
    const { ctx, w } = shell({ run: ['./not-executable.sh'] });
    const err = await failure(shellStep.execute(ctx, w));
    expect(err.message).toMatch(/permission denied running \.\/not-executable\.sh/);
    expect(err.hint).toMatch(/chmod \+x/);
  });

  it('says the working directory does not exist', async () => {
    const { ctx, w } = shell({ run: ['node', fixture('echo-args.mjs')], cwd: 'no-such-dir' });
    const err = await failure(shellStep.execute(ctx, w));
    expect(err.message).toContain(`working directory not found: ${path.join(FIXTURES, 'no-such-dir')}`);
  });
});

describe('shell: environment and working directory', () => {
  it("inherits lifeboat's environment, adds with.env (which wins), and finds bare commands on PATH", async () => {
    const { ctx, w } = shell(
      { run: ['node', fixture('print-env.mjs'), 'INHERITED', 'ADDED', 'OVERRIDDEN'], env: { ADDED: 'from with.env', OVERRIDDEN: 'new' } },
      {},
      { env: { ...process.env, INHERITED: 'from lifeboat', OVERRIDDEN: 'old' } },
    );
    const result = await shellStep.execute(ctx, w);
    const printed = JSON.parse(String(result.outputs.stdout)) as { env: Record<string, string | null> };
    expect(printed.env).toEqual({ INHERITED: 'from lifeboat', ADDED: 'from with.env', OVERRIDDEN: 'new' });
  });

  it('runs in cwd, relative to the runbook directory', async () => {
    const { ctx, w } = shell({ run: ['node', fixture('print-env.mjs')], cwd: 'scripts' });
    const result = await shellStep.execute(ctx, w);
    expect((JSON.parse(String(result.outputs.stdout)) as { cwd: string }).cwd).toBe(path.join(FIXTURES, 'scripts'));
  });

  it("defaults to the runbook's directory", async () => {
    const dir = tmp();
    const { ctx, w } = shell({ run: ['node', fixture('print-env.mjs')] }, {}, { runbookDir: dir });
    const result = await shellStep.execute(ctx, w);
    expect((JSON.parse(String(result.outputs.stdout)) as { cwd: string }).cwd).toBe(dir);
  });
});

describe('shell: output', () => {
  it('streams stdout and stderr to the operator, interleaved as they come', async () => {
    const { ctx, w } = shell({ run: ['node', fixture('chunks.mjs'), '300', 'first\n', 'err:warning\n', 'last\n'] });
    const result = await shellStep.execute(ctx, w);
    expect(ctx.streamed).toBe('first\nwarning\nlast\n');
    // stderr is streamed but is not part of outputs.stdout.
    expect(result.outputs.stdout).toBe('first\nlast');
  });

  it('streams each chunk as it comes (before the process exits)', async () => {
    const { ctx, w } = shell({ run: ['node', fixture('sleep.mjs'), '1500'] });
    let firstChunkAt = 0;
    ctx.out.stream = (chunk) => {
      ctx.streamed += chunk;
      if (firstChunkAt === 0) firstChunkAt = Date.now();
    };
    const started = Date.now();
    await shellStep.execute(ctx, w);
    const ended = Date.now();
    expect(ctx.streamed).toBe('started\nfinished\n');
    expect(ended - firstChunkAt).toBeGreaterThan(1000);
    expect(firstChunkAt - started).toBeLessThan(ended - started);
  });

  it('keeps only the last 1 MiB of stdout as outputs.stdout', async () => {
    const { ctx, w } = shell({ run: ['node', fixture('big-output.mjs'), String(3 * 1024 * 1024)] });
    let streamedBytes = 0;
    ctx.out.stream = (chunk) => {
      streamedBytes += chunk.length;
    };
    const result = await shellStep.execute(ctx, w);
    const stdout = String(result.outputs.stdout);
    expect(stdout.length).toBeLessThanOrEqual(1024 * 1024);
    expect(stdout.length).toBeGreaterThan(1000 * 1024);
    expect(stdout.endsWith('THE-END')).toBe(true);
    expect(streamedBytes).toBeGreaterThan(3 * 1024 * 1024);
    expect(ctx.lines.join('\n')).toMatch(/last part only/);
  });

  it('redacts secret env values from streamed output, outputs.stdout and error messages', async () => {
    const secret = 's3cr3t-Value-42';
    const { ctx, w } = shell({
      run: ['node', fixture('print-env.mjs'), 'API_TOKEN', 'PLAIN'],
      env: { API_TOKEN: secret, PLAIN: 'visible-value' },
    });
    const result = await shellStep.execute(ctx, w);
    expect(ctx.streamed).not.toContain(secret);
    expect(String(result.outputs.stdout)).not.toContain(secret);
    expect(JSON.parse(String(result.outputs.stdout))).toMatchObject({ env: { API_TOKEN: '***', PLAIN: 'visible-value' } });

    const failing = shell({ run: ['node', fixture('exit-with.mjs'), '1', '', `auth failed for ${secret}`], env: { DB_PASSWORD: secret } });
    const err = await failure(shellStep.execute(failing.ctx, failing.w));
    expect(err.message).toContain('auth failed for ***');
    expect(err.message).not.toContain(secret);
    expect(failing.ctx.streamed).not.toContain(secret);
  });

  it('redacts a secret split across two chunks of output', async () => {
    const secret = 'hunter2-hunter2';
    const { ctx, w } = shell({
      run: ['node', fixture('chunks.mjs'), '150', 'before hunt', 'er2-hun', 'ter2 after\n'],
      env: { GITHUB_TOKEN: secret },
    });
    const chunks: string[] = [];
    ctx.out.stream = (chunk) => {
      chunks.push(chunk);
      ctx.streamed += chunk;
    };
    const result = await shellStep.execute(ctx, w);
    expect(ctx.streamed).toBe('before *** after\n');
    expect(chunks.join('|')).not.toMatch(/hunt|hunter/);
    expect(result.outputs.stdout).toBe('before *** after');
  });
});

describe('shell: undo', () => {
  it('journals the rollback command before running, and rollback runs it', async () => {
    const dir = tmp();
    const marker = path.join(dir, 'rolled-back');
    const rollback = { run: ['node', fixture('write-marker.mjs'), marker, 'undone'], env: { REASON: 'test' } };
    const { ctx, w } = shell({ run: ['node', fixture('echo-args.mjs'), 'do'], env: { API_KEY: 'do-not-journal-me' } }, { rollback });
    let undoBeforeRun = false;
    const recordUndo = ctx.recordUndo;
    ctx.recordUndo = async (undo) => {
      undoBeforeRun = ctx.streamed === '';
      await recordUndo(undo);
    };
    await shellStep.execute(ctx, w);
    expect(undoBeforeRun).toBe(true);
    expect(ctx.undoRecords).toEqual([{ run: rollback.run, env: { REASON: 'test' } }]);
    expect(JSON.stringify(ctx.undoRecords)).not.toContain('do-not-journal-me');
    expect(existsSync(marker)).toBe(false);

    expect(shellStep.describeUndo?.(w, ctx.undoRecords[0])).toContain(JSON.stringify(marker));
    await shellStep.rollback?.(ctx, w, ctx.undoRecords[0]);
    expect(readFileSync(marker, 'utf8')).toBe('undone');
  });

  it("a rollback command runs in the step's cwd unless it names its own", async () => {
    const { ctx, w } = shell({ run: ['node', fixture('echo-args.mjs')], cwd: 'scripts' }, { rollback: { run: ['./hello.sh', 'rollback'] } });
    await shellStep.execute(ctx, w);
    expect(ctx.undoRecords).toEqual([{ run: ['./hello.sh', 'rollback'], cwd: 'scripts' }]);
    ctx.streamed = '';
    await shellStep.rollback?.(ctx, w, ctx.undoRecords[0]);
    expect(ctx.streamed).toBe('hello rollback\n');
  });

  it('a failing rollback command fails the rollback', async () => {
    const { ctx, w } = shell({ run: ['node', fixture('echo-args.mjs')] }, { rollback: { run: ['node', fixture('exit-with.mjs'), '2', '', 'undo broke'] } });
    await shellStep.execute(ctx, w);
    const err = await failure(Promise.resolve(shellStep.rollback?.(ctx, w, ctx.undoRecords[0])));
    expect(err.message).toMatch(/exited with code 2 \(expected 0\)/);
    expect(err.message).toContain('undo broke');
  });

  it('rollback: false records an irreversible no-op', async () => {
    const { ctx, w } = shell({ run: ['node', fixture('echo-args.mjs')] }, { rollback: false });
    await shellStep.execute(ctx, w);
    expect(ctx.undoRecords).toEqual([{ none: true, irreversible: true }]);
    ctx.streamed = '';
    await shellStep.rollback?.(ctx, w, ctx.undoRecords[0]);
    expect(ctx.streamed).toBe('');
    expect(shellStep.describeUndo?.(w, ctx.undoRecords[0])).toMatch(/IRREVERSIBLE/);
  });

  it('no rollback given: nothing to undo', async () => {
    const { ctx, w } = shell({ run: ['node', fixture('echo-args.mjs')] });
    await shellStep.execute(ctx, w);
    expect(ctx.undoRecords).toEqual([{ none: true }]);
    await shellStep.rollback?.(ctx, w, ctx.undoRecords[0]);
    expect(shellStep.describeUndo?.(w, ctx.undoRecords[0])).toMatch(/nothing to undo/);
  });
});

describe('shell: plan and dry run', () => {
  it('shows the exact argv, cwd and env names (never values), and counts one command', async () => {
    const { ctx, w } = shell({ run: ['./scripts/hello.sh', 'failover done', 'a\nb'], env: { GITHUB_TOKEN: 'ghp_supersecret', REGION: 'us-west-2' }, timeout: '30s' });
    const plan = await shellStep.plan(ctx, w);
    const text = plan.lines.map((l) => l.text).join('\n');
    expect(text).toContain('run "./scripts/hello.sh" "failover done" "a\\nb"');
    expect(text).toContain(`cwd: ${path.resolve(FIXTURES)}`);
    expect(text).toContain('GITHUB_TOKEN, REGION');
    expect(text).not.toContain('ghp_supersecret');
    expect(text).not.toContain('us-west-2');
    expect(text).not.toMatch(/warning/);
    expect(plan.counts).toEqual({ commands: 1 });
    expect(plan.mutating).toBe(true);
    expect(ctx.undoRecords).toEqual([]);
  });

  it('warns when the command would not be found', async () => {
    const { ctx, w } = shell({ run: ['./scripts/announce.sh'] }, { rollback: false });
    const plan = await shellStep.plan(ctx, w);
    const text = plan.lines.map((l) => l.text).join('\n');
    expect(text).toMatch(/warning: command not found: \.\/scripts\/announce\.sh/);
    expect(text).toMatch(/IRREVERSIBLE/);
  });

  it('runs nothing in a dry run', async () => {
    const dir = tmp();
    const marker = path.join(dir, 'ran');
    const { ctx, w } = shell({ run: ['node', fixture('write-marker.mjs'), marker] }, {}, { dryRun: true });
    await shellStep.execute(ctx, w);
    expect(existsSync(marker)).toBe(false);
    expect(ctx.undoRecords).toEqual([]);
  });
});
