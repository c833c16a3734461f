interface Entry<T> {
  item: T;
  /** Push order: equal times come out in the order they went in. */
  n: number;
}

/** A binary min-heap on `at`: the queue's timers (visibility expiry, delay end) without scanning every message. */
export class MinHeap<T extends { at: number }> {
  private items: Entry<T>[] = [];
  private pushed = 0;

  get size(): number {
    return this.items.length;
  }

  peek(): T | undefined {
    return this.items[0]?.item;
  }

  push(item: T): void {
    const a = this.items;
    a.push({ item, n: this.pushed++ });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(a[i]!, a[p]!)) break;
      [a[p], a[i]] = [a[i]!, a[p]!];
      i = p;
    }
  }

  pop(): T | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && less(a[l]!, a[m]!)) m = l;
        if (r < a.length && less(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i]!, a[m]!];
        i = m;
      }
    }
    return top?.item;
  }

  /** Keeps only the items `keep` accepts (O(n log n)); their relative order is kept. */
  rebuild(keep: (item: T) => boolean): void {
    const entries = this.items.filter((e) => keep(e.item)).sort((x, y) => (less(x, y) ? -1 : 1));
    // A sorted array is a valid heap.
    this.items = entries;
  }

  clear(): void {
    this.items = [];
  }
}

function less<T extends { at: number }>(x: Entry<T>, y: Entry<T>): boolean {
  return x.item.at < y.item.at || (x.item.at === y.item.at && x.n < y.n);
}
