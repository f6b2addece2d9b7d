// The node's durable store: one WAL for metadata commands and persistent messages, a metadata snapshot, and
// reference counts that reclaim a segment once every message in it is gone from every durable queue and the
// snapshot covers its commands. recover() rebuilds the metadata and each durable queue's messages in order.
import { existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, fsyncSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import type { Command, MetaState, VhostState } from '../broker/metadata.js';
import { apply, emptyState } from '../broker/metadata.js';
import { stateToCommands } from '../broker/state-commands.js';
import {
  decodeAck, decodeMeta, decodePub, decodePurge, encodeAck, encodeMeta, encodePub, encodePurge, RecordType,
  tableReplacer, tableReviver, type PubRecord, type QueueRef,
} from './records.js';
import { Wal, type WalPosition } from './wal.js';

/** Where a persistent message lives: its id and WAL segment, shared by every durable queue holding it. */
export interface StoredRef { id: number; segment: number }

export interface RecoveredMessage { ref: StoredRef; record: PubRecord }

export interface Recovery {
  /** Metadata from snapshot + commands, or undefined on a fresh node. */
  meta: MetaState | undefined;
  /** Messages still in each durable queue (key `vhost\0name`), in publish order. */
  messages: Map<string, RecoveredMessage[]>;
  records: number;
  truncatedBytes: number;
}

const qkey = (q: QueueRef) => `${q.vhost}\0${q.name}`;

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

  constructor(readonly dir: string, segmentBytes?: number) {
    mkdirSync(dir, { recursive: true });
    this.wal = new Wal(join(dir, 'wal'), segmentBytes);
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
    const pending = new Map<number, { rec: PubRecord; segment: number; queues: Set<string> }>();
    const byQueue = new Map<string, Set<number>>();
    const drop = (key: string, id: number) => {
      const m = pending.get(id);
      if (!m || !m.queues.delete(key)) return;
      byQueue.get(key)?.delete(id);
      if (m.queues.size === 0) pending.delete(id);
    };
    const dropQueue = (key: string) => {
      const ids = byQueue.get(key);
      if (ids) for (const id of [...ids]) drop(key, id);
      byQueue.delete(key);
    };
    const r = this.wal.recover(({ segment, offset, payload }) => {
      switch (payload[0]) {
        case RecordType.Meta: {
          if (segment < this.snapshotPos.segment || (segment === this.snapshotPos.segment && offset < this.snapshotPos.offset)) return;
          meta ??= emptyState();
          const cmd = decodeMeta(payload);
          if (cmd.type === 'queue.delete') dropQueue(`${cmd.vhost}\0${cmd.name}`);
          if (cmd.type === 'vhost.delete') for (const k of [...byQueue.keys()]) if (k.startsWith(`${cmd.name}\0`)) dropQueue(k);
          apply(meta, cmd);
          return;
        }
        case RecordType.Pub: {
          const rec = decodePub(payload);
          const keys = new Set(rec.queues.map(qkey));
          pending.set(rec.id, { rec, segment, queues: keys });
          for (const k of keys) { let s = byQueue.get(k); if (!s) { s = new Set(); byQueue.set(k, s); } s.add(rec.id); }
          if (rec.id >= this.nextId) this.nextId = rec.id + 1;
          return;
        }
        case RecordType.Ack: {
          const a = decodeAck(payload);
          const k = qkey(a.queue);
          for (const id of a.ids) drop(k, id);
          return;
        }
        case RecordType.Purge: dropQueue(qkey(decodePurge(payload))); return;
        default: return;
      }
    });
    // Messages for queues that no longer exist are gone; the rest are live references.
    const messages = new Map<string, RecoveredMessage[]>();
    for (const [id, m] of [...pending].sort((a, b) => a[0] - b[0])) {
      for (const k of m.queues) {
        const [vhost, name] = k.split('\0') as [string, string];
        if (!meta?.vhosts.get(vhost)?.queues.get(name)?.durable) continue;
        let l = messages.get(k);
        if (!l) { l = []; messages.set(k, l); }
        l.push({ ref: { id, segment: m.segment }, record: m.rec });
        this.live.set(m.segment, (this.live.get(m.segment) ?? 0) + 1);
      }
    }
    return { meta, messages, records: r.records, truncatedBytes: r.truncatedBytes };
  }

  /** Opens the WAL for appending and compacts metadata into a fresh snapshot. */
  async open(getState: () => MetaState): Promise<void> {
    this.getState = getState;
    await this.wal.open();
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
    const pos = this.wal.append(encodePub(id, queues, exchange, routingKey, props, body));
    this.live.set(pos.segment, (this.live.get(pos.segment) ?? 0) + queues.length);
    return { id, segment: pos.segment };
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
