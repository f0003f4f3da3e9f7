/**
 * Draws a compiled machine (mermaid stateDiagram-v2 or Graphviz dot) from its state nodes,
 * or lists it as JSON (states and transitions, schema/graph.schema.json). The drawing is
 * hand-written on purpose: both formats are a few lines of text per node and edge, and a
 * library would add weight to a command that must start fast, for no better output.
 *
 * The machine has one `step` state that walks the runbook's steps (./compile.ts); the
 * drawing unrolls it, one `s:<id>` state per step with that state's transitions, so a reader
 * sees their runbook: `advance` (between steps) becomes the edge to the next step, and a
 * gate a step does not have (`when false` without a `when:`) is left out.
 */
import type { AnyStateMachine, AnyStateNode } from 'xstate';

interface Edge {
  from: string;
  to: string;
  label: string;
  event: string;
  guard: string;
}

function safeId(id: string): string {
  return id.replace(/^run\./, '').replace(/[^A-Za-z0-9_]/g, '_');
}

function eventLabel(eventType: string): string {
  if (eventType === '') return '';
  if (eventType.startsWith('xstate.done.actor')) return 'done';
  if (eventType.startsWith('xstate.error.actor')) return 'error';
  return eventType;
}

function guardLabel(guard: unknown): string {
  if (typeof guard === 'string') return guardLabel({ type: guard });
  if (!guard || typeof guard !== 'object') return '';
  const g = guard as { type?: string; params?: Record<string, unknown> };
  if (g.type === 'isChoice') return String(g.params?.choice);
  if (g.type === 'conditionFalse') return 'when false';
  if (g.type === 'alreadyDone') return 'already done';
  if (g.type === 'skippedByMode') return 'not in this mode';
  if (g.type === 'resumeAt' || g.type === 'resumeRollback') return 'resume';
  if (g.type === 'nothingToUndo') return 'nothing left';
  if (g.type === 'stoppedByInterrupt') return 'interrupted';
  return g.type ?? '';
}

/** A state as drawn: its id (`run.…`), key, type, initial child (full id) and children. */
interface DrawnState {
  id: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  initial: string | null;
  children: DrawnState[];
}

interface Drawing {
  root: DrawnState;
  edges: Edge[];
}

/** What the drawing needs of each step: its id, and which gates it has. */
export interface DrawnStep {
  id: string;
  when?: string | undefined;
  /** Left out by the mode the machine was compiled for. */
  modeSkipped?: boolean | undefined;
}

function stateOf(node: AnyStateNode): DrawnState {
  const initial = node.config.initial;
  return {
    id: node.id,
    key: node.key,
    type: node.type,
    initial: typeof initial === 'string' ? `${node.id}.${initial}` : null,
    children: Object.values(node.states).map(stateOf),
  };
}

function collect(node: AnyStateNode, edges: Edge[]): void {
  // The root's own transitions (JOURNAL_FAILED: from any state to journalFailed) are not
  // edges of one state; drawing one from every state would hide the rest.
  if (node.parent === undefined) {
    for (const child of Object.values(node.states)) collect(child, edges);
    return;
  }
  const transitions = [...[...node.on ? Object.values(node.on) : []].flat(), ...(node.always ?? [])] as Array<{
    eventType: string;
    guard?: unknown;
    target?: AnyStateNode[];
  }>;
  for (const t of transitions) {
    for (const target of t.target ?? []) {
      const event = eventLabel(t.eventType);
      const guard = guardLabel(t.guard);
      edges.push({ from: node.id, to: target.id, label: [event, guard].filter(Boolean).join(': '), event, guard });
    }
  }
  for (const child of Object.values(node.states)) collect(child, edges);
}

const STEP = 'run.step';
const ADVANCE = 'run.advance';
const within = (id: string, root: string): boolean => id === root || id.startsWith(`${root}.`);

/** The machine unrolled over the runbook's steps (see the header). */
function drawing(machine: AnyStateMachine, steps: readonly DrawnStep[]): Drawing {
  const generic: Edge[] = [];
  collect(machine.root, generic);
  const root = stateOf(machine.root);
  const stepIds = steps.map((s) => `run.s:${s.id}`);
  const after = (i: number): string => stepIds[i + 1] ?? 'run.completed';
  const rename = (state: DrawnState, to: string): DrawnState => {
    const id = (x: string): string => to + x.slice(STEP.length);
    return { ...state, id: id(state.id), key: state.id === STEP ? to.slice('run.'.length) : state.key, initial: state.initial === null ? null : id(state.initial), children: state.children.map((c) => rename(c, to)) };
  };
  const children: DrawnState[] = [];
  for (const child of root.children) {
    if (child.id === STEP) children.push(...stepIds.map((to) => rename(child, to)));
    else if (child.id !== ADVANCE) children.push(child);
  }

  const edges: Edge[] = [];
  const stepEdges = generic.filter((e) => within(e.from, STEP));
  let stepsDrawn = false;
  for (const e of generic) {
    if (within(e.from, ADVANCE)) continue;
    if (within(e.from, STEP)) {
      // The step's edges stand together (one state and its children): drawn once per step.
      if (stepsDrawn) continue;
      stepsDrawn = true;
      steps.forEach((step, i) => {
        for (const s of stepEdges) {
          if (s.guard === 'when false' && step.when === undefined) continue;
          if (s.guard === 'not in this mode' && step.modeSkipped !== true) continue;
          const to = s.to === ADVANCE ? after(i) : within(s.to, STEP) ? (stepIds[i] as string) + s.to.slice(STEP.length) : s.to;
          edges.push({ ...s, from: (stepIds[i] as string) + s.from.slice(STEP.length), to });
        }
      });
    } else if (e.to === ADVANCE) {
      // From the checks: to the first step. From start on resume: to any step.
      if (e.guard === 'resume') edges.push(...stepIds.map((to) => ({ ...e, to })));
      else edges.push({ ...e, to: stepIds[0] ?? 'run.completed' });
    } else edges.push(e);
  }
  return { root: { ...root, children }, edges };
}

function leaves(node: DrawnState): DrawnState[] {
  return node.children.length === 0 ? [node] : node.children.flatMap(leaves);
}

export function toMermaid(machine: AnyStateMachine, steps: readonly DrawnStep[]): string {
  const { root, edges } = drawing(machine, steps);
  const lines = ['stateDiagram-v2'];
  const render = (node: DrawnState, indent: string): void => {
    for (const child of node.children) {
      const id = safeId(child.id);
      if (child.children.length > 0) {
        lines.push(`${indent}state "${child.key}" as ${id} {`);
        if (child.initial !== null) lines.push(`${indent}  [*] --> ${safeId(child.initial)}`);
        render(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}state "${child.key}" as ${id}`);
        if (child.type === 'final') lines.push(`${indent}${id} --> [*]`);
      }
    }
  };
  lines.push(`  [*] --> ${safeId(root.initial ?? '')}`);
  render(root, '  ');
  for (const e of edges) lines.push(`  ${safeId(e.from)} --> ${safeId(e.to)}${e.label ? ` : ${e.label}` : ''}`);
  return `${lines.join('\n')}\n`;
}

export function toDot(machine: AnyStateMachine, steps: readonly DrawnStep[]): string {
  const { root, edges } = drawing(machine, steps);
  const q = (s: string): string => JSON.stringify(s);
  const lines = ['digraph lifeboat {', '  rankdir=LR;', '  node [shape=box, style=rounded];'];
  const byId = new Map<string, DrawnState>();
  const render = (node: DrawnState, indent: string): void => {
    for (const child of node.children) {
      byId.set(child.id, child);
      if (child.children.length > 0) {
        lines.push(`${indent}subgraph ${q(`cluster_${safeId(child.id)}`)} {`, `${indent}  label=${q(child.key)};`);
        render(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}${q(safeId(child.id))} [label=${q(child.key)}${child.type === 'final' ? ', peripheries=2' : ''}];`);
      }
    }
  };
  render(root, '  ');
  // Edges into a compound state point at its first leaf, so dot can draw them.
  const resolve = (id: string): string => {
    const node = byId.get(id);
    const initial = node?.initial === null || node === undefined ? undefined : byId.get(node.initial);
    return safeId(initial ? (leaves(initial)[0]?.id ?? id) : id);
  };
  for (const e of edges) lines.push(`  ${q(resolve(e.from))} -> ${q(resolve(e.to))}${e.label ? ` [label=${q(e.label)}]` : ''};`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/** States and transitions as data (`graph --format json`, schema/graph.schema.json). */
export interface GraphJson {
  version: 1;
  runbook: { name: string; file: string };
  initial: string;
  states: Array<{ id: string; key: string; parent: string | null; type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history'; initial: string | null }>;
  transitions: Array<{ from: string; to: string; event: string; guard: string | null }>;
}

export function toGraphJson(machine: AnyStateMachine, runbook: { name: string; file: string; steps: readonly DrawnStep[] }): GraphJson {
  const { root, edges } = drawing(machine, runbook.steps);
  const id = (s: string): string => s.replace(/^run\./, '');
  const states: GraphJson['states'] = [];
  const walk = (node: DrawnState, parent: string | null): void => {
    for (const child of node.children) {
      states.push({ id: id(child.id), key: child.key, parent, type: child.type, initial: child.initial === null ? null : id(child.initial) });
      walk(child, id(child.id));
    }
  };
  walk(root, null);
  return {
    version: 1,
    runbook: { name: runbook.name, file: runbook.file },
    initial: id(root.initial ?? ''),
    states,
    transitions: edges.map((e) => ({ from: id(e.from), to: id(e.to), event: e.event, guard: e.guard === '' ? null : e.guard })),
  };
}
