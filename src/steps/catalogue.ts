/**
 * The registered step types (./registry.ts), looked up by name. Pure and light: descriptors
 * only; an implementation is loaded by `load()` when a step of its type is planned or run.
 */
import type { AnyStepType } from './descriptor.js';
import * as registry from './registry.js';

/** Every step type, ordered by name (the docs, the JSON Schema and messages list them so). */
export const stepTypeList: readonly AnyStepType[] = (Object.values(registry) as AnyStepType[]).sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0));

const byName = new Map<string, AnyStepType>();
for (const t of stepTypeList) {
  if (byName.has(t.type)) throw new Error(`two step types are named "${t.type}" in src/steps/registry.ts`);
  byName.set(t.type, t);
}

export const stepTypeNames: readonly string[] = stepTypeList.map((t) => t.type);

export function isStepType(name: string): boolean {
  return byName.has(name);
}

/** The descriptor of a known type (the loader has checked every step's type). */
export function stepType(name: string): AnyStepType {
  const t = byName.get(name);
  if (!t) throw new Error(`unknown step type "${name}" (known: ${stepTypeNames.join(', ')})`);
  return t;
}

const impls = new Map<string, Promise<Awaited<ReturnType<AnyStepType['load']>>>>();

/** A type's implementation, loaded once. */
export function loadStep(name: string): ReturnType<AnyStepType['load']> {
  let p = impls.get(name);
  if (!p) {
    p = stepType(name).load();
    impls.set(name, p);
  }
  return p;
}
