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
    const ds = new Set((deps.get(id) ?? []).filter((d) => known.has(d)));
    pending.set(id, ds.size);
    for (const d of ds) {
      const list = dependents.get(d);
      if (list) list.push(id);
      else dependents.set(d, [id]);
    }
  }
  const ready = new MinHeap(all.filter((id) => pending.get(id) === 0));
  const order: string[] = [];
  for (let id = ready.pop(); id !== undefined; id = ready.pop()) {
    order.push(id);
    for (const next of dependents.get(id) ?? []) {
      const left = pending.get(next)! - 1;
      pending.set(next, left);
      if (left === 0) ready.push(next);
    }
  }
  return order.length === all.length ? order : null;
}

/** A binary min-heap of strings (compared as `<` does: by UTF-16 code units, like Array.prototype.sort). */
class MinHeap {
  private readonly items: string[] = [];

  constructor(initial: readonly string[]) {
    for (const item of initial) this.push(item);
  }

  push(item: string): void {
    const items = this.items;
    let i = items.push(item) - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (items[parent]! <= item) break;
      items[i] = items[parent]!;
      i = parent;
    }
    items[i] = item;
  }

  pop(): string | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && items[right]! < items[left]! ? right : left;
      if (items[child]! >= last) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }
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
