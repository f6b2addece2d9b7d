// A growable ring buffer: O(1) push/shift/unshift at both ends, no per-element allocation.
export class Deque<T> {
  private items: (T | undefined)[];
  private head = 0;
  length = 0;

  constructor(capacity = 16) { this.items = new Array(capacity); }

  private grow(): void {
    const old = this.items, n = old.length;
    const next = new Array<T | undefined>(n * 2);
    for (let i = 0; i < this.length; i++) next[i] = old[(this.head + i) % n];
    this.items = next;
    this.head = 0;
  }

  push(v: T): void {
    if (this.length === this.items.length) this.grow();
    this.items[(this.head + this.length) % this.items.length] = v;
    this.length++;
  }

  unshift(v: T): void {
    if (this.length === this.items.length) this.grow();
    this.head = (this.head - 1 + this.items.length) % this.items.length;
    this.items[this.head] = v;
    this.length++;
  }

  shift(): T | undefined {
    if (this.length === 0) return undefined;
    const v = this.items[this.head];
    this.items[this.head] = undefined;
    this.head = (this.head + 1) % this.items.length;
    this.length--;
    return v;
  }

  pop(): T | undefined {
    if (this.length === 0) return undefined;
    const i = (this.head + this.length - 1) % this.items.length;
    const v = this.items[i];
    this.items[i] = undefined;
    this.length--;
    return v;
  }

  peek(): T | undefined { return this.length ? this.items[this.head] : undefined; }
  at(i: number): T | undefined { return this.items[(this.head + i) % this.items.length]; }

  clear(): T[] {
    const all = this.toArray();
    this.items = new Array(16);
    this.head = 0;
    this.length = 0;
    return all;
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.items[(this.head + i) % this.items.length] as T);
    return out;
  }
}
