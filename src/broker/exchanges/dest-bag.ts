// A reference-counted multiset of destinations shared by the direct, fanout and topic routers.
// Counts let (dest, key, args1) and (dest, key, args2) coexist: unbinding one keeps the dest routed.
export class DestBag<D> {
  private readonly counts = new Map<D, number>();
  /** Distinct destinations, kept as an array so that routing iterates without allocating. */
  readonly list: D[] = [];

  add(d: D): void {
    const c = this.counts.get(d);
    if (c === undefined) { this.counts.set(d, 1); this.list.push(d); } else this.counts.set(d, c + 1);
  }

  /** Removes one occurrence; returns false when d was not in the bag. */
  remove(d: D): boolean {
    const c = this.counts.get(d);
    if (c === undefined) return false;
    if (c > 1) { this.counts.set(d, c - 1); return true; }
    this.counts.delete(d);
    const i = this.list.indexOf(d);
    const last = this.list.pop()!;
    if (i < this.list.length) this.list[i] = last;
    return true;
  }

  get size(): number { return this.list.length; }

  addTo(out: Set<D>): void {
    const l = this.list;
    for (let i = 0; i < l.length; i++) out.add(l[i]!);
  }
}
