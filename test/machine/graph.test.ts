import { describe, expect, test } from 'vitest';
import { compileRunbook } from '../../src/machine/compile.js';
import { toDot, toGraphJson, toMermaid } from '../../src/machine/graph.js';
import { parseRunbook } from '../../src/runbook/load.js';
import type { Runbook } from '../../src/runbook/model.js';

const SOURCE = `version: 1
name: drawn
steps:
  - { id: first, type: shell, with: { run: [echo, one] } }
  - { id: maybe, type: shell, with: { run: [echo, two] }, when: "params.go == 'yes'" }
  - { id: last, type: wait, with: { duration: 1s } }
params:
  go: { default: "yes" }
`;

function runbook(source = SOURCE): Runbook {
  const r = parseRunbook(source, 'drawn.yaml');
  if (!r.runbook) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return r.runbook;
}

function graph(source = SOURCE) {
  const rb = runbook(source);
  return toGraphJson(compileRunbook(rb), rb);
}

describe('graph: the machine drawn over the runbook', () => {
  test('one state per step, in order, each with the step states; the walk between steps is not drawn', () => {
    const g = graph();
    const top = g.states.filter((s) => s.parent === null).map((s) => s.id);
    expect(top.slice(0, 5)).toEqual(['start', 'checks', 's:first', 's:maybe', 's:last']);
    expect(top).not.toContain('step');
    expect(top).not.toContain('advance');
    const inMaybe = g.states.filter((s) => s.parent === 's:maybe').map((s) => s.key);
    expect(inMaybe).toEqual(['gate', 'planning', 'awaiting', 'executing', 'verifying', 'failed', 'done']);
    expect(g.states.find((s) => s.id === 's:maybe')?.initial).toBe('s:maybe.gate');
  });

  test('each step leads to the next and the last to completed; only a step with `when:` has the when-false edge', () => {
    const g = graph();
    const edges = (from: string) => g.transitions.filter((t) => t.from === from);
    expect(edges('s:first.done').map((t) => t.to)).toEqual(['s:maybe']);
    expect(edges('s:last.done').map((t) => t.to)).toEqual(['completed']);
    expect(edges('s:maybe.awaiting').find((t) => t.guard === 'skip')?.to).toBe('s:last');
    expect(edges('s:maybe.gate').some((t) => t.guard === 'when false' && t.to === 's:last')).toBe(true);
    expect(edges('s:first.gate').some((t) => t.guard === 'when false')).toBe(false);
    expect(edges('checks').find((t) => t.event === 'done')?.to).toBe('s:first');
    // A resumed run may start at any step.
    expect(edges('start').filter((t) => t.guard === 'resume').map((t) => t.to)).toEqual(['rollingBack', 's:first', 's:maybe', 's:last']);
    const ids = new Set(g.states.map((s) => s.id));
    for (const t of g.transitions) expect(ids.has(t.to), `${t.from} → ${t.to}`).toBe(true);
  });

  test('mermaid and dot draw the same steps', () => {
    const rb = runbook();
    const machine = compileRunbook(rb);
    const mermaid = toMermaid(machine, rb.steps);
    expect(mermaid).toContain('state "s:maybe" as s_maybe {');
    expect(mermaid).toContain('s_first_done --> s_maybe');
    expect(mermaid).toContain('s_maybe_gate --> s_last : when false');
    expect(mermaid).not.toMatch(/\badvance\b/);
    const dot = toDot(machine, rb.steps);
    expect(dot).toContain('subgraph "cluster_s_last" {');
    // An edge into a step's state points at its first leaf (its gate).
    expect(dot).toContain('"s_first_done" -> "s_maybe_gate";');
    expect(dot).toContain('"s_last_done" -> "completed";');
  });
});
