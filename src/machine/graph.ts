/**
 * Draws a compiled machine (mermaid stateDiagram-v2 or Graphviz dot) from its state nodes,
 * or lists it as JSON (states and transitions, schema/graph.schema.json). The drawing is
 * hand-written on purpose: both formats are a few lines of text per node and edge, and a
 * library would add weight to a command that must start fast, for no better output.
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
  if (!guard || typeof guard !== 'object') return typeof guard === 'function' ? 'resume' : '';
  const g = guard as { type?: string; params?: Record<string, unknown> };
  if (g.type === 'isChoice') return String(g.params?.choice);
  if (g.type === 'conditionFalse') return 'when false';
  if (g.type === 'alreadyDone') return 'already done';
  if (g.type === 'nothingToUndo') return 'nothing left';
  return g.type ?? '';
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
      const label = [event, guard].filter(Boolean).join(': ');
      edges.push({ from: node.id, to: target.id, label, event, guard });
    }
  }
  for (const child of Object.values(node.states)) collect(child, edges);
}

function leaves(node: AnyStateNode): AnyStateNode[] {
  const children = Object.values(node.states);
  return children.length === 0 ? [node] : children.flatMap(leaves);
}

export function toMermaid(machine: AnyStateMachine): string {
  const edges: Edge[] = [];
  collect(machine.root, edges);
  const lines = ['stateDiagram-v2'];
  const render = (node: AnyStateNode, indent: string): void => {
    for (const child of Object.values(node.states)) {
      const id = safeId(child.id);
      if (Object.keys(child.states).length > 0) {
        lines.push(`${indent}state "${child.key}" as ${id} {`);
        const initial = child.config.initial;
        if (typeof initial === 'string') lines.push(`${indent}  [*] --> ${safeId(`${child.id}.${initial}`)}`);
        render(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}state "${child.key}" as ${id}`);
        if (child.type === 'final') lines.push(`${indent}${id} --> [*]`);
      }
    }
  };
  lines.push(`  [*] --> ${safeId(`${machine.root.id}.${String(machine.root.config.initial)}`)}`);
  render(machine.root, '  ');
  for (const e of edges) lines.push(`  ${safeId(e.from)} --> ${safeId(e.to)}${e.label ? ` : ${e.label}` : ''}`);
  return `${lines.join('\n')}\n`;
}

export function toDot(machine: AnyStateMachine): string {
  const edges: Edge[] = [];
  collect(machine.root, edges);
  const q = (s: string): string => JSON.stringify(s);
  const lines = ['digraph lifeboat {', '  rankdir=LR;', '  node [shape=box, style=rounded];'];
  const render = (node: AnyStateNode, indent: string): void => {
    for (const child of Object.values(node.states)) {
      if (Object.keys(child.states).length > 0) {
        lines.push(`${indent}subgraph ${q(`cluster_${safeId(child.id)}`)} {`, `${indent}  label=${q(child.key)};`);
        render(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        lines.push(`${indent}${q(safeId(child.id))} [label=${q(child.key)}${child.type === 'final' ? ', peripheries=2' : ''}];`);
      }
    }
  };
  render(machine.root, '  ');
  // Edges into a compound state point at its first leaf, so dot can draw them.
  const resolve = (id: string): string => {
    const node = machine.getStateNodeById(id);
    const initial = node.config.initial;
    if (typeof initial === 'string' && node.states[initial]) return safeId(leaves(node.states[initial] as AnyStateNode)[0]?.id ?? id);
    return safeId(id);
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

export function toGraphJson(machine: AnyStateMachine, runbook: { name: string; file: string }): GraphJson {
  const edges: Edge[] = [];
  collect(machine.root, edges);
  const id = (s: string): string => s.replace(/^run\./, '');
  const states: GraphJson['states'] = [];
  const walk = (node: AnyStateNode, parent: string | null): void => {
    for (const child of Object.values(node.states)) {
      const initial = child.config.initial;
      states.push({ id: id(child.id), key: child.key, parent, type: child.type, initial: typeof initial === 'string' ? id(`${child.id}.${initial}`) : null });
      walk(child, id(child.id));
    }
  };
  walk(machine.root, null);
  return {
    version: 1,
    runbook,
    initial: id(`${machine.root.id}.${String(machine.root.config.initial)}`),
    states,
    transitions: edges.map((e) => ({ from: id(e.from), to: id(e.to), event: e.event, guard: e.guard === '' ? null : e.guard })),
  };
}
