// A vhost's bindings keyed by bindingKey(), indexed by source exchange and by destination, so deleting a
// queue or exchange finds its bindings without scanning all of them (10,000 queues x 10 bindings each made
// every queue.delete walk 100,000 entries: 13 deletes/s). Still a Map for every reader; only set/delete/clear
// keep the indexes, so nothing that writes through them can get out of step.
import type { BindingDef } from './metadata.js';

type Index = Map<string, Map<string, BindingDef>>;

function add(ix: Index, at: string, key: string, b: BindingDef): void {
  let m = ix.get(at);
  if (!m) { m = new Map(); ix.set(at, m); }
  m.set(key, b);
}

function remove(ix: Index, at: string, key: string): void {
  const m = ix.get(at);
  if (m && m.delete(key) && m.size === 0) ix.delete(at);
}

const EMPTY: ReadonlyMap<string, BindingDef> = new Map();

export class BindingMap extends Map<string, BindingDef> {
  private readonly bySource: Index = new Map();
  /** Keyed by `${destinationKind}\0${destination}`. */
  private readonly byDestination: Index = new Map();

  override set(key: string, b: BindingDef): this {
    const old = super.get(key);
    if (old) this.unindex(key, old);
    super.set(key, b);
    // Map's constructor calls set() before the fields above exist; no caller passes entries, but be safe.
    if (this.bySource) {
      add(this.bySource, b.source, key, b);
      add(this.byDestination, `${b.destinationKind}\0${b.destination}`, key, b);
    }
    return this;
  }

  override delete(key: string): boolean {
    const old = super.get(key);
    if (!old) return false;
    this.unindex(key, old);
    return super.delete(key);
  }

  override clear(): void {
    super.clear();
    this.bySource.clear();
    this.byDestination.clear();
  }

  /** The bindings from exchange `source`, by key (a live view: copy before deleting while iterating). */
  fromSource(source: string): ReadonlyMap<string, BindingDef> { return this.bySource.get(source) ?? EMPTY; }

  /** The bindings to a queue or exchange, by key (a live view: copy before deleting while iterating). */
  toDestination(kind: BindingDef['destinationKind'], name: string): ReadonlyMap<string, BindingDef> {
    return this.byDestination.get(`${kind}\0${name}`) ?? EMPTY;
  }

  private unindex(key: string, b: BindingDef): void {
    remove(this.bySource, b.source, key);
    remove(this.byDestination, `${b.destinationKind}\0${b.destination}`, key);
  }
}
