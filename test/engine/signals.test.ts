/** SignalControl: the first signal stops at a safe point, a second ends the run; a repeated hang-up is one event. */
import { describe, expect, test } from 'vitest';
import { SignalControl } from '../../src/engine/signals.js';

function control(state = 's:step.awaiting', onFailure: 'rollback' | 'abort' = 'rollback', interactive = true) {
  const calls: string[] = [];
  const c = new SignalControl({
    state: () => state,
    interruptMachine: () => calls.push('interrupt'),
    halt: (s) => calls.push(`halt ${s}`),
    warn: (l) => calls.push(`warn ${l}`),
    runId: 'r1',
    onFailure,
    interactive,
  });
  return { c, calls };
}

describe('SignalControl', () => {
  test('a second Ctrl-C or SIGTERM ends the run at once', () => {
    for (const sig of ['SIGINT', 'SIGTERM']) {
      const { c, calls } = control();
      c.interrupt(sig);
      c.interrupt(sig);
      expect(calls).toEqual(['interrupt', `halt ${sig}`]);
    }
  });

  test('a terminal that hangs up twice (the pty, then tmux) is one interrupt: the way back is not cut short', () => {
    const { c, calls } = control();
    c.interrupt('SIGHUP');
    c.interrupt('SIGHUP');
    expect(calls).toEqual(['interrupt']);
    expect(c.received).toBe(true);
  });

  test('while undoing, a Ctrl-C stops after the undo in flight (a second stops at once)', () => {
    const { c, calls } = control('rollingBack.undoing');
    c.interrupt('SIGINT');
    expect(c.haltBeforeNextUndo).toBe(true);
    expect(calls).toEqual(['warn SIGINT: stopping once the undo in progress is done (a second SIGINT stops at once); lifeboat rollback r1 undoes the rest']);
  });

  test('while undoing, a hang-up lets the rollback finish under --on-failure rollback, and stops it after the undo in flight under abort', () => {
    const rollback = control('rollingBack.undoing', 'rollback');
    rollback.c.interrupt('SIGHUP');
    expect(rollback.c.haltBeforeNextUndo).toBe(false);
    expect(rollback.calls).toEqual(['warn SIGHUP: the terminal closed; the rollback goes on (--on-failure rollback)']);
    const abort = control('rollingBack.undoing', 'abort');
    abort.c.interrupt('SIGHUP');
    expect(abort.c.haltBeforeNextUndo).toBe(true);
    expect(abort.calls).toEqual(['warn SIGHUP: stopping once the undo in progress is done; lifeboat rollback r1 undoes the rest']);
  });

  test('while undoing with no one at a terminal (CI, cron, SIGTERM from a service manager): --on-failure rollback lets the rollback finish; abort stops it after the undo in flight', () => {
    for (const sig of ['SIGINT', 'SIGTERM']) {
      const rollback = control('rollingBack.undoing', 'rollback', false);
      rollback.c.interrupt(sig);
      expect(rollback.c.haltBeforeNextUndo).toBe(false);
      expect(rollback.calls).toEqual([`warn ${sig}: the rollback goes on (--on-failure rollback, no one at a terminal to ask); a second ${sig} stops at once, lifeboat rollback r1 then undoes the rest`]);
      rollback.c.interrupt(sig);
      expect(rollback.calls.at(-1)).toBe(`halt ${sig}`);
      const abort = control('rollingBack.undoing', 'abort', false);
      abort.c.interrupt(sig);
      expect(abort.c.haltBeforeNextUndo).toBe(true);
    }
  });

  test('a terminal found gone at a prompt, then its SIGHUP: one event, the way back goes on', () => {
    const { c, calls } = control('rollingBack.preview', 'abort');
    c.hungUp();
    c.interrupt('SIGHUP');
    expect(calls).toEqual([]);
    expect(c.last).toBe('SIGHUP');
  });

  test('after a hang-up, a Ctrl-C from someone still there ends the run at once', () => {
    const { c, calls } = control();
    c.interrupt('SIGHUP');
    c.interrupt('SIGINT');
    expect(calls).toEqual(['interrupt', 'halt SIGINT']);
  });
});
