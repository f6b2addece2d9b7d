// Resource alarms as RabbitMQ raises them: a memory high watermark (relative to total RAM or absolute) and a
// disk free limit on the data directory's file system. While either is raised, connections that publish
// are blocked (connection.blocked, reading paused); consumers keep draining. Checked on a coarse timer.
import { statfsSync } from 'node:fs';
import { totalmem } from 'node:os';

/** A memory alarm waits for a reclaim at most this often; in between it is raised at once. */
const RECLAIM_EVERY_MS = 30_000;

export type AlarmKind = 'memory' | 'disk';

export interface AlarmSettings {
  /** vm_memory_high_watermark.relative (fraction of total RAM) or .absolute (bytes). */
  memory: { relative?: number; absolute?: number };
  /** disk_free_limit.absolute (bytes) or .relative (fraction of total RAM, as RabbitMQ defines it). */
  disk: { relative?: number; absolute?: number };
  dataDir: string;
  intervalMs?: number;
  /**
   * Called before the memory alarm is raised, to free what can be freed (src/server/reclaim.ts); the alarm is
   * then decided by the next check, which sees what the reclaim released. At most once per RECLAIM_EVERY_MS.
   */
  reclaim?: () => void;
}

export class ResourceMonitor {
  readonly active = new Set<AlarmKind>();
  readonly memoryLimit: number;
  readonly diskLimit: number;
  memoryUsed = 0;
  diskFree = Infinity;
  private timer: NodeJS.Timeout | undefined;
  private reclaimedAt = 0;

  constructor(private readonly s: AlarmSettings, private readonly onChange: (active: ReadonlySet<AlarmKind>) => void,
    private readonly log?: (msg: string, fields: Record<string, string | number>) => void) {
    const mem = totalmem();
    this.memoryLimit = s.memory.absolute ?? Math.floor((s.memory.relative ?? 0.4) * mem);
    this.diskLimit = s.disk.absolute ?? Math.floor((s.disk.relative ?? 0) * mem);
  }

  start(): void {
    // Boot leaves little to reclaim, and a watermark already below the node's use must block at once.
    this.reclaimedAt = Date.now();
    this.check();
    this.timer = setInterval(() => this.check(), this.s.intervalMs ?? 1000);
    this.timer.unref();
  }

  stop(): void { clearInterval(this.timer); }

  check(): void {
    this.memoryUsed = process.memoryUsage.rss();
    let memoryOver = this.memoryUsed > this.memoryLimit;
    if (memoryOver && !this.active.has('memory') && this.s.reclaim && Date.now() - this.reclaimedAt > RECLAIM_EVERY_MS) {
      this.reclaimedAt = Date.now();
      this.s.reclaim();
      memoryOver = false;
    }
    try {
      const st = statfsSync(this.s.dataDir);
      this.diskFree = st.bavail * st.bsize;
    } catch { /* keep the last reading */ }
    let changed = this.set('memory', memoryOver,
      `memory resource limit alarm: ${this.memoryUsed} bytes used, limit ${this.memoryLimit}`, this.memoryUsed, this.memoryLimit);
    changed = this.set('disk', this.diskFree < this.diskLimit,
      `free disk space alarm: ${this.diskFree} bytes free, limit ${this.diskLimit}`, this.diskFree, this.diskLimit) || changed;
    if (changed) this.onChange(this.active);
  }

  private set(kind: AlarmKind, on: boolean, text: string, value: number, limit: number): boolean {
    if (on === this.active.has(kind)) return false;
    if (on) this.active.add(kind); else this.active.delete(kind);
    this.log?.(`${on ? 'set' : 'cleared'} ${text}`, { alarm: kind, state: on ? 'set' : 'cleared', value, limit });
    return true;
  }
}
