/** A step some simulated person takes at a simulated instant. */
export interface Task {
  at: number;
  run: () => Promise<void>;
  /** Who takes it (honest, attack, holders): where the run's time goes. */
  label: string;
  /** What kind of step (join, charge, pay…), for the same accounting one level down. */
  kind: string;
}

/** Schedules steps; `Agenda` itself, or one that labels what it schedules. */
export interface Schedule {
  at(at: number, run: () => Promise<void>, kind?: string): void;
}

/**
 * The simulated clock's agenda: steps run in time order (ties in the order they were scheduled), so a run is
 * the same for the same seed. A binary heap: a 10,000-user month is a few hundred thousand steps.
 */
export class Agenda {
  private heap: Array<Task & { seq: number }> = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  at(at: number, run: () => Promise<void>, kind = 'step'): void {
    this.push(at, run, 'honest', kind);
  }

  /** The same agenda, each step labelled `label`. */
  labelled(label: string): Schedule {
    return { at: (at, run, kind = 'step') => this.push(at, run, label, kind) };
  }

  private push(at: number, run: () => Promise<void>, label: string, kind: string): void {
    this.heap.push({ at, run, label, kind, seq: this.seq++ });
    let i = this.heap.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  peekAt(): number | undefined {
    return this.heap[0]?.at;
  }

  pop(): Task | undefined {
    const top = this.heap[0];
    const last = this.heap.pop();
    if (top === undefined || last === undefined || this.heap.length === 0) return top;
    this.heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.heap.length && this.before(l, m)) m = l;
      if (r < this.heap.length && this.before(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return top;
  }

  private before(a: number, b: number): boolean {
    const x = this.heap[a]!;
    const y = this.heap[b]!;
    return x.at < y.at || (x.at === y.at && x.seq < y.seq);
  }

  private swap(a: number, b: number): void {
    const t = this.heap[a]!;
    this.heap[a] = this.heap[b]!;
    this.heap[b] = t;
  }
}
