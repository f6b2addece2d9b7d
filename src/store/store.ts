// The node's durable store: one WAL for metadata commands and persistent messages, a metadata snapshot, and
// reference counts that reclaim a segment once every message in it is gone from every durable queue and the
// snapshot covers its commands. recover() rebuilds the metadata and each durable queue's messages in order,
// as record locations (PagedList), without keeping any body in memory.
// Also the page file: bodies of messages the WAL does not hold (transient ones, or in transient queues) that
// queues page out of memory. It is written without fsync and wiped at start, as RabbitMQ's transient store.
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, MetaState, VhostState } from '../broker/metadata.js';
import { apply, emptyState } from '../broker/metadata.js';
import { stateToCommands } from '../broker/state-commands.js';
import {
  decodeAck, decodeMeta, decodePub, decodePurge, encodeAck, encodeMeta, encodePub, encodePurge, RecordType,
  tableReplacer, tableReviver, type PubRecord, type QueueRef,
} from './records.js';
import { Wal, type WalPosition } from './wal.js';
import { decodePropsRaw } from '../broker/message.js';
import { PagedList, pagedEntry } from '../broker/paged-list.js';

/**
 * Where a persistent message lives: its id and record in the WAL (segment, offset, payload length), shared by
 * every durable queue holding it.
 */
export interface StoredRef { id: number; segment: number; offset: number; length: number }

/** A record in the page file. */
export interface PageRef { segment: number; offset: number; length: number }

export interface Recovery {
  /** Metadata from snapshot + commands, or undefined on a fresh node. */
  meta: MetaState | undefined;
  /**
   * Messages still in each durable queue (key `vhost\0name`), in publish order, as WAL locations: `exp` holds
   * the message's own TTL + 1 (0: none) and `prio` its priority; bodies stay on disk.
   */
  messages: Map<string, PagedList>;
  records: number;
  truncatedBytes: number;
}

const qkey = (q: QueueRef) => `${q.vhost}\0${q.name}`;
/** Basic property flags of the two properties recovery needs (AMQP 0-9-1 property order). */
const PROP_PRIORITY = 1 << 11, PROP_EXPIRATION = 1 << 8;
/** Page-file records are copied into slabs of this size before they are written. */
const PAGE_SLAB = 1024 * 1024;

/** The metadata snapshot: the commands that rebuild the durable state, and where in the WAL it was taken. */
interface Snapshot { position: WalPosition; nextId: number; commands: Command[] }

export class Store {
  readonly wal: Wal;
  private nextId = 1;
  /** Live (message, queue) references per segment. */
  private live = new Map<number, number>();
  /** Acks waiting to be appended, by queue key. */
  /** Acks waiting to be appended: vhost -> queue -> message ids (no key strings built per ack). */
  private acks = new Map<string, Map<string, number[]>>();
  private acksQueued = false;
  private snapshotPos: WalPosition = { segment: 0, offset: 0 };
  private getState: (() => MetaState) | undefined;
  /** A background metadata snapshot failed (the previous snapshot and the WAL still hold everything). */
  onSnapshotError: ((e: Error) => void) | undefined;

  /** The page file, and live references per page segment. */
  readonly pages: Wal;
  private pageLive = new Map<number, number>();
  private slab = Buffer.allocUnsafe(0);
  private slabUsed = 0;

  constructor(readonly dir: string, segmentBytes?: number) {
    mkdirSync(dir, { recursive: true });
    this.wal = new Wal(join(dir, 'wal'), { segmentBytes });
    // Nothing paged before a restart is wanted after it (transient messages do not survive one).
    rmSync(join(dir, 'pages'), { recursive: true, force: true });
    this.pages = new Wal(join(dir, 'pages'), { segmentBytes, durable: false });
    this.pages.onError = (e) => process.stderr.write(`${new Date().toISOString()} [error] page file write failed: ${e.message}\n`);
    this.wal.onRoll = () => this.snapshotSoon();
    this.wal.onError = (e) => process.stderr.write(`${new Date().toISOString()} [error] write-ahead log failed, nothing more will be confirmed: ${e.message}\n`);
  }

  /** Reads snapshot and WAL (synchronously, before the node accepts connections). */
  recover(): Recovery {
    let meta: MetaState | undefined;
    const snapPath = join(this.dir, 'metadata.snapshot');
    if (existsSync(snapPath)) {
      const snap = JSON.parse(readFileSync(snapPath, 'utf8'), tableReviver) as Snapshot;
      meta = stateFromSnapshot(snap);
      this.snapshotPos = snap.position;
      this.nextId = snap.nextId;
    }
    // Per queue, its messages in publish (= id) order as locations; acks remove by id (binary search).
    const byQueue = new Map<string, PagedList>();
    const e = pagedEntry();
    let lastNames: Buffer | undefined, lastLists: PagedList[] = [];
    const r = this.wal.recover(({ segment, offset, payload }) => {
      if (payload[0] === RecordType.Meta || payload[0] === RecordType.Purge) lastNames = undefined; // lists may be replaced
      switch (payload[0]) {
        case RecordType.Meta: {
          if (segment < this.snapshotPos.segment || (segment === this.snapshotPos.segment && offset < this.snapshotPos.offset)) return;
          meta ??= emptyState();
          const cmd = decodeMeta(payload);
          if (cmd.type === 'queue.delete') byQueue.delete(`${cmd.vhost}\0${cmd.name}`);
          if (cmd.type === 'vhost.delete') for (const k of [...byQueue.keys()]) if (k.startsWith(`${cmd.name}\0`)) byQueue.delete(k);
          apply(meta, cmd);
          return;
        }
        case RecordType.Pub: {
          // Only the location, size, TTL and priority are kept; the body is read again when delivered. Parsed
          // in place: consecutive records for the same queues reuse the lists found for the previous one.
          const id = payload.readUInt32BE(1) * 0x1_0000_0000 + payload.readUInt32BE(5);
          const nq = payload.readUInt16BE(9);
          let p = 11;
          for (let k = 0; k < nq; k++) { p += 2 + payload.readUInt16BE(p); p += 2 + payload.readUInt16BE(p); }
          const namesEnd = p;
          p += 1 + payload[p]!; // exchange
          p += 1 + payload[p]!; // routing key
          const plen = payload.readUInt32BE(p); p += 4;
          const flags = plen >= 2 ? payload.readUInt16BE(p) : 0;
          e.exp = 0; e.prio = 0;
          if (flags & (PROP_PRIORITY | PROP_EXPIRATION)) {
            const props = decodePropsRaw(payload.subarray(p, p + plen));
            if (props.expiration !== undefined && /^\d+$/.test(props.expiration)) e.exp = Number(props.expiration) + 1;
            e.prio = Math.min(255, props.priority ?? 0);
          }
          e.seq = 0; e.id = id; e.seg = segment; e.off = offset; e.len = payload.length; e.size = payload.length - p - plen;
          if (!lastNames || lastNames.length !== namesEnd - 11 || payload.compare(lastNames, 0, lastNames.length, 11, namesEnd) !== 0) {
            lastNames = Buffer.from(payload.subarray(11, namesEnd)); // a copy: the scan reuses its buffer
            lastLists = decodePub(payload).queues.map((q) => {
              const k = qkey(q);
              let l = byQueue.get(k);
              if (!l) { l = new PagedList(); byQueue.set(k, l); }
              return l;
            });
          }
          for (const l of lastLists) l.push(e);
          if (id >= this.nextId) this.nextId = id + 1;
          return;
        }
        case RecordType.Ack: {
          const a = decodeAck(payload);
          const l = byQueue.get(qkey(a.queue));
          if (l) for (const id of a.ids) l.removeId(id);
          return;
        }
        case RecordType.Purge: byQueue.delete(qkey(decodePurge(payload))); return;
        default: return;
      }
    }, (type) => type === RecordType.Pub);
    // Messages for queues that no longer exist are gone; the rest are live references.
    const messages = new Map<string, PagedList>();
    for (const [k, l] of byQueue) {
      const [vhost, name] = k.split('\0') as [string, string];
      if (!meta?.vhosts.get(vhost)?.queues.get(name)?.durable || l.length === 0) continue;
      messages.set(k, l);
      l.forEach((x) => this.live.set(x.seg, (this.live.get(x.seg) ?? 0) + 1));
    }
    return { meta, messages, records: r.records, truncatedBytes: r.truncatedBytes };
  }

  /** Opens the WAL for appending and compacts metadata into a fresh snapshot. */
  async open(getState: () => MetaState): Promise<void> {
    this.getState = getState;
    await this.wal.open();
    await this.pages.open();
    // Segments the page file rolls past are deleted once nothing in them is referenced.
    this.pages.onRoll = (closed) => { if (!this.pageLive.get(closed)) setImmediate(() => { if (!this.pageLive.get(closed)) this.pages.remove(closed); }); };
    this.snapshot();
    this.reclaim();
  }

  /** Logs a metadata command and starts writing it at once (a confirm that follows waits for the same fsync). */
  logCommand(cmd: Command): void {
    this.wal.append([encodeMeta(cmd)]);
    if (!this.metaSyncQueued) { this.metaSyncQueued = true; this.wal.sync(() => { this.metaSyncQueued = false; }); }
  }
  private metaSyncQueued = false;

  /** Appends a persistent message once for all the durable queues it was routed to. */
  publish(queues: QueueRef[], exchange: string, routingKey: string, props: Buffer, body: Buffer): StoredRef {
    const id = this.nextId++;
    const parts = encodePub(id, queues, exchange, routingKey, props, body);
    let length = 0;
    for (const b of parts) length += b.length;
    const pos = this.wal.append(parts);
    this.live.set(pos.segment, (this.live.get(pos.segment) ?? 0) + queues.length);
    return { id, segment: pos.segment, offset: pos.offset, length };
  }

  /**
   * Writes a body to the page file (one reference taken); read it back with readRecord(). The record is copied
   * into a slab: the message's own buffers (slices of socket reads) are not held while the write is pending.
   */
  writePage(exchange: string, routingKey: string, props: Buffer, body: Buffer): PageRef {
    const parts = encodePub(0, [], exchange, routingKey, props, body);
    let length = 0;
    for (const b of parts) length += b.length;
    if (this.slab.length - this.slabUsed < length) { this.slab = Buffer.allocUnsafe(Math.max(PAGE_SLAB, length)); this.slabUsed = 0; }
    const start = this.slabUsed;
    for (const b of parts) this.slabUsed += b.copy(this.slab, this.slabUsed);
    const pos = this.pages.append([this.slab.subarray(start, this.slabUsed)]);
    this.retainPage(pos.segment);
    return { segment: pos.segment, offset: pos.offset, length };
  }

  /** Another queue holds the same paged body. */
  retainPage(segment: number): void { this.pageLive.set(segment, (this.pageLive.get(segment) ?? 0) + 1); }

  /** A queue no longer needs a paged body (read back, or the message is gone): the segment goes when unused. */
  releasePage(segment: number): void {
    const n = (this.pageLive.get(segment) ?? 1) - 1;
    if (n > 0) { this.pageLive.set(segment, n); return; }
    this.pageLive.delete(segment);
    if (segment < this.pages.segment) this.pages.remove(segment); // the current one is kept for appends
  }

  /** Reads a message record back from the WAL or the page file (paging in). */
  readRecord(pageFile: boolean, segment: number, offset: number, length: number): PubRecord {
    return decodePub((pageFile ? this.pages : this.wal).readPayload(segment, offset, length));
  }

  /** The message left a durable queue for good (acked, dropped, dead-lettered, expired, purged). */
  release(vhost: string, queue: string, ref: StoredRef): void {
    let byQueue = this.acks.get(vhost);
    if (!byQueue) { byQueue = new Map(); this.acks.set(vhost, byQueue); }
    const ids = byQueue.get(queue);
    if (ids) ids.push(ref.id); else byQueue.set(queue, [ref.id]);
    if (!this.acksQueued) { this.acksQueued = true; setImmediate(() => this.flushAcks()); }
    const n = (this.live.get(ref.segment) ?? 1) - 1;
    if (n <= 0) { this.live.delete(ref.segment); this.reclaim(); } else this.live.set(ref.segment, n);
  }

  /** Everything published to the queue so far is gone (purge). */
  purge(q: QueueRef): void { this.wal.append(encodePurge(q)); }

  /** Runs cb once every record appended so far is on disk, or with the error if the WAL failed. */
  sync(cb: (err?: Error) => void): void { this.wal.sync(cb); }

  private flushAcks(): void {
    this.acksQueued = false;
    // After a WAL failure acks cannot be logged: the messages come back after a restart (redelivered).
    if (this.wal.error) { this.acks.clear(); return; }
    for (const [vhost, byQueue] of this.acks) for (const [name, ids] of byQueue) this.wal.append(encodeAck({ vhost, name }, ids));
    this.acks.clear();
    this.wal.sync(() => { /* acks need no waiter; the write is what matters */ });
  }

  private snapshotQueued = false;
  private snapshotSoon(): void {
    if (this.snapshotQueued) return;
    this.snapshotQueued = true;
    setImmediate(() => {
      this.snapshotQueued = false;
      // A snapshot that cannot be written (ENOSPC) leaves the previous one in place: not a reason to crash.
      try { this.snapshot(); this.reclaim(); } catch (e) { this.onSnapshotError?.(e as Error); }
    });
  }

  /**
   * Writes the metadata state as of now (tmp file, fsync, rename, directory fsync). Commands appended after
   * it are replayed on recovery; the ones before it no longer keep their segments alive.
   */
  snapshot(): void {
    if (!this.getState) return;
    const s = this.getState();
    const position = { segment: this.wal.segment, offset: this.wal.size };
    const snap: Snapshot = {
      position, nextId: this.nextId,
      commands: stateToCommands(s, {
        exchange: (vh, name) => !!s.vhosts.get(vh)?.exchanges.get(name)?.durable,
        queue: (vh, name) => { const q = s.vhosts.get(vh)?.queues.get(name); return !!q && q.durable && !q.owner; },
        binding: (vh, src, dest, kind) => durableBinding(s.vhosts.get(vh)!, src, dest, kind),
      }),
    };
    const path = join(this.dir, 'metadata.snapshot');
    writeFileSync(`${path}.tmp`, JSON.stringify(snap, tableReplacer));
    const fd = openSync(`${path}.tmp`, 'r');
    fsyncSync(fd); closeSync(fd);
    renameSync(`${path}.tmp`, path);
    const dfd = openSync(this.dir, 'r');
    fsyncSync(dfd); closeSync(dfd);
    this.snapshotPos = position;
  }

  /** Deletes closed segments with no live messages whose commands the snapshot covers. */
  private reclaim(): void {
    for (const seg of this.wal.segments()) {
      if (seg >= this.wal.segment || seg >= this.snapshotPos.segment) break;
      if ((this.live.get(seg) ?? 0) === 0) this.wal.remove(seg);
    }
  }

  async close(): Promise<void> {
    if (this.acksQueued) this.flushAcks();
    await this.wal.close();
    await this.pages.close();
  }
}

/** A binding survives a restart when both ends do. */
export function durableBinding(v: VhostState, source: string, dest: string, kind: 'queue' | 'exchange'): boolean {
  if (!v.exchanges.get(source)?.durable) return false;
  if (kind === 'exchange') return !!v.exchanges.get(dest)?.durable;
  const q = v.queues.get(dest);
  return !!q && q.durable && !q.owner;
}

function stateFromSnapshot(snap: Snapshot): MetaState {
  const s = emptyState();
  for (const c of snap.commands) apply(s, c);
  return s;
}

/** Whether a command changes what survives a restart (it is logged), judged against the state before it. */
export function isDurableCommand(s: MetaState, cmd: Command): boolean {
  switch (cmd.type) {
    case 'vhost.add': return !s.vhosts.has(cmd.def.name);
    case 'exchange.declare': return cmd.def.durable && !s.vhosts.get(cmd.def.vhost)?.exchanges.has(cmd.def.name);
    case 'exchange.delete': return !!s.vhosts.get(cmd.vhost)?.exchanges.get(cmd.name)?.durable;
    case 'queue.declare': return cmd.def.durable && !cmd.def.owner && !s.vhosts.get(cmd.def.vhost)?.queues.has(cmd.def.name);
    case 'queue.delete': { const q = s.vhosts.get(cmd.vhost)?.queues.get(cmd.name); return !!q && q.durable && !q.owner; }
    case 'binding.add': case 'binding.remove': {
      const v = s.vhosts.get(cmd.def.vhost);
      return !!v && durableBinding(v, cmd.def.source, cmd.def.destination, cmd.def.destinationKind);
    }
    default: return true;
  }
}
