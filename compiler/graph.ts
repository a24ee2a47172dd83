/**
 * Small graph algorithms over string ids: a stable topological order and cycle discovery.
 * `deps.get(x)` lists the nodes x depends on.
 */
import { compareText } from "./diagnostics.js";

/** Kahn's algorithm; among ready nodes the smallest id goes first, so the order is stable. */
export function topologicalOrder(ids: Iterable<string>, deps: ReadonlyMap<string, readonly string[]>): string[] | null {
  const all = [...new Set(ids)].sort();
  const known = new Set(all);
  const pending = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const id of all) {
    const ds = (deps.get(id) ?? []).filter((d) => known.has(d));
    pending.set(id, new Set(ds).size);
    for (const d of new Set(ds)) dependents.set(d, [...(dependents.get(d) ?? []), id]);
  }
  const ready = all.filter((id) => pending.get(id) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort();
    const id = ready.shift()!;
    order.push(id);
    for (const next of dependents.get(id) ?? []) {
      const left = pending.get(next)! - 1;
      pending.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return order.length === all.length ? order : null;
}

/**
 * Every elementary cycle reported once, as a path that starts at its smallest id and returns to it:
 * ["a", "b", "c", "a"]. Found through strongly connected components (Tarjan), then one cycle per component.
 */
export function findCycles(ids: Iterable<string>, deps: ReadonlyMap<string, readonly string[]>): string[][] {
  const all = [...new Set(ids)].sort();
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;

  const strongConnect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of [...(deps.get(v) ?? [])].sort()) {
      if (!index.has(w)) {
        if (!all.includes(w)) continue;
        strongConnect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      const selfLoop = (deps.get(v) ?? []).includes(v);
      if (component.length > 1 || selfLoop) components.push(component.sort());
    }
  };
  for (const id of all) if (!index.has(id)) strongConnect(id);

  return components
    .map((component) => cyclePath(component, deps))
    .sort((a, b) => compareText(a[0]!, b[0]!));
}

/** A shortest cycle through the component's smallest id, following dependency edges (BFS). */
function cyclePath(component: string[], deps: ReadonlyMap<string, readonly string[]>): string[] {
  const members = new Set(component);
  const start = component[0]!;
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...(deps.get(v) ?? [])].sort()) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        let cur = v;
        while (cur !== start) {
          cur = parent.get(cur)!;
          path.push(cur);
        }
        return [...path.reverse(), start];
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [start, start];
}
