// The 'topic' exchange type: a trie over dot-separated binding-key words with '*' (exactly one word) and
// '#' (zero or more words), as RabbitMQ's rabbit_db_topic_exchange: "" is zero words, "a..b" has an empty
// middle word. Routing memoises (node, word index) visits per call and caches results per routing key.
import type { ExchangeType, Router } from '../router.js';
import type { FieldTable } from '../../amqp/table.js';
import { DestBag } from './dest-bag.js';

const CACHE_MAX = 1024;
const EMPTY: readonly never[] = Object.freeze([]);

class Node<D> {
  children: Map<string, Node<D>> | null = null;
  star: Node<D> | null = null;
  hash: Node<D> | null = null;
  dests: DestBag<D> | null = null;
  /** Reached through a '#' edge: may swallow further words while staying on this node. */
  readonly isHash: boolean;
  constructor(readonly id: number, readonly parent: Node<D> | null, readonly word: string) {
    this.isHash = word === '#' && parent !== null;
  }
  get empty(): boolean {
    return this.dests === null && this.star === null && this.hash === null &&
      (this.children === null || this.children.size === 0);
  }
}

/** RabbitMQ's split_topic_key: "" is no words at all; otherwise split on every '.'. */
function splitInto(key: string, words: string[]): number {
  if (key.length === 0) return 0;
  let n = 0;
  let start = 0;
  for (;;) {
    const dot = key.indexOf('.', start);
    if (dot < 0) { words[n++] = key.substring(start); return n; }
    words[n++] = key.substring(start, dot);
    start = dot + 1;
  }
}

class TopicRouter<D> implements Router<D> {
  private readonly root = new Node<D>(0, null, '');
  private nextId = 1;
  private readonly freeIds: number[] = [];
  private readonly cache = new Map<string, readonly D[]>();
  // Per-route scratch state, reused across calls.
  private readonly words: string[] = [];
  private nWords = 0;
  private stride = 1;
  private memo = new Int32Array(64);
  private epoch = 0;
  private readonly found = new Set<D>();

  bind(dest: D, key: string, _args: FieldTable): void {
    const words: string[] = [];
    const n = splitInto(key, words);
    let node = this.root;
    for (let i = 0; i < n; i++) node = this.child(node, words[i]!, true)!;
    (node.dests ??= new DestBag<D>()).add(dest);
    this.cache.clear();
  }

  unbind(dest: D, key: string, _args: FieldTable): void {
    const words: string[] = [];
    const n = splitInto(key, words);
    let node: Node<D> | null = this.root;
    for (let i = 0; i < n && node !== null; i++) node = this.child(node, words[i]!, false);
    if (node === null || node.dests === null || !node.dests.remove(dest)) return;
    if (node.dests.size === 0) node.dests = null;
    this.cache.clear();
    this.prune(node);
  }

  route(key: string, _headers: FieldTable | undefined, out: Set<D>): void {
    let hit = this.cache.get(key);
    if (hit === undefined) {
      hit = this.match(key);
      if (this.cache.size >= CACHE_MAX) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(key, hit);
    }
    for (let i = 0; i < hit.length; i++) out.add(hit[i]!);
  }

  private child(node: Node<D>, word: string, create: boolean): Node<D> | null {
    if (word === '*') return node.star ?? (create ? (node.star = this.newNode(node, word)) : null);
    if (word === '#') return node.hash ?? (create ? (node.hash = this.newNode(node, word)) : null);
    let c = node.children?.get(word);
    if (c === undefined && create) {
      c = this.newNode(node, word);
      (node.children ??= new Map()).set(word, c);
    }
    return c ?? null;
  }

  private newNode(parent: Node<D>, word: string): Node<D> {
    return new Node<D>(this.freeIds.pop() ?? this.nextId++, parent, word);
  }

  /** Removes now-empty nodes from `node` up towards the root, recycling their ids. */
  private prune(node: Node<D>): void {
    while (node.parent !== null && node.empty) {
      const p: Node<D> = node.parent;
      if (node.word === '*') p.star = null;
      else if (node.word === '#') p.hash = null;
      else p.children!.delete(node.word);
      this.freeIds.push(node.id);
      node = p;
    }
  }

  private match(key: string): readonly D[] {
    const n = this.nWords = splitInto(key, this.words);
    this.stride = n + 1;
    const need = this.nextId * this.stride;
    if (this.memo.length < need) this.memo = new Int32Array(Math.max(need, this.memo.length * 2));
    if (++this.epoch === 0x7fffffff) { this.memo.fill(0); this.epoch = 1; }
    this.found.clear();
    this.visit(this.root, 0);
    if (this.found.size === 0) return EMPTY;
    const res = Array.from(this.found);
    this.found.clear();
    return res;
  }

  /** Matches words[i..] from node; each (node, i) is explored at most once per route. */
  private visit(node: Node<D>, i: number): void {
    const slot = node.id * this.stride + i;
    if (this.memo[slot] === this.epoch) return;
    this.memo[slot] = this.epoch;
    const n = this.nWords;
    if (node.isHash && i < n) this.visit(node, i + 1); // the '#' that led here swallows one more word
    if (i === n) {
      node.dests?.addTo(this.found);
      if (node.hash !== null) this.visit(node.hash, n);
      return;
    }
    const c = node.children?.get(this.words[i]!);
    if (c !== undefined) this.visit(c, i + 1);
    if (node.star !== null) this.visit(node.star, i + 1);
    if (node.hash !== null) this.visit(node.hash, i);
  }
}

export const topicExchange: ExchangeType = {
  name: 'topic',
  create<D>(): Router<D> { return new TopicRouter<D>(); },
};
