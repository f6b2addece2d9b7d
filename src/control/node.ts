// A Warren node and its application, as RabbitMQ separates the Erlang node from the rabbit app: the node (and
// its control listener) lives as long as the process; the app (broker, AMQP listeners, store) can be stopped,
// reset and started again by warrenctl. Lifecycle operations run one at a time, in the order they arrive.
import type { Broker } from '../broker/broker.js';
import type { Queue } from '../broker/queue.js';
import type { WarrenSettings } from '../config/settings.js';
import type { Channel } from '../server/channel.js';
import type { Connection } from '../server/connection.js';
import type { LogLevel, Server } from '../server/server.js';
import { ControlError, ExitCode } from './protocol.js';

/** A listener as status and cluster_status report it. */
export interface ListenerInfo { interface: string; port: number; protocol: string; purpose: string }

/** What start_app builds and stop_app takes down. */
export interface App {
  readonly broker: Broker;
  readonly server: Server;
  readonly listeners: ListenerInfo[];
  /** Closes the listeners, closes every connection with 320 CONNECTION_FORCED, then closes the store. */
  stop(): Promise<void>;
}

export interface NodeOptions {
  name: string;
  version: string;
  settings: WarrenSettings;
  cookieFile: string;
  startApp(): Promise<App>;
  /** Deletes the node's stored metadata and messages (reset); called only while the app is stopped. */
  wipe(): void;
  log(level: LogLevel, msg: string): void;
  /** Ends the process once the node has stopped. */
  exit(code: number): void;
}

export type AppState = 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * Erlang-style pids for connections, channels and queues, which have no names rabbitmqctl could print:
 * `<node.creation.n.0>`. The creation changes with every app start, so a pid never names a later object.
 */
export class PidRegistry {
  private readonly ids = new WeakMap<object, number>();
  private next = 1;

  constructor(readonly node: string, readonly creation: number) {}

  private pid(o: object): string {
    let n = this.ids.get(o);
    if (n === undefined) { n = this.next++; this.ids.set(o, n); }
    return `<${this.node}.${this.creation}.${n}.0>`;
  }

  connection(c: Connection): string { return this.pid(c); }
  channel(ch: Channel): string { return this.pid(ch); }
  queue(q: Queue): string { return this.pid(q); }
}

export class WarrenNode {
  readonly name: string;
  readonly startedAt = Date.now();
  state: AppState = 'stopped';
  app: App | undefined;
  pids: PidRegistry;
  /** The control listener, once open (first in status' listener list, as RabbitMQ's clustering port). */
  control: ListenerInfo | undefined;
  private appStarts = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private waiters: (() => void)[] = [];

  constructor(readonly opts: NodeOptions) {
    this.name = opts.name;
    this.pids = new PidRegistry(this.name, Math.floor(this.startedAt / 1000));
  }

  get version(): string { return this.opts.version; }
  get settings(): WarrenSettings { return this.opts.settings; }

  /** The running app, or the refusal rabbitmqctl prints when a command needs it. */
  requireApp(): App {
    if (this.state !== 'running' || !this.app) {
      throw new ControlError(ExitCode.Usage, "this command requires the 'warren' app to be running on the target node. Start it with 'warrenctl start_app'.", false, 'running');
    }
    return this.app;
  }

  private serial<T>(op: () => Promise<T>): Promise<T> {
    const p = this.chain.then(op, op);
    this.chain = p.catch(() => undefined);
    return p;
  }

  startApp(): Promise<void> {
    return this.serial(async () => {
      if (this.state === 'running') return;
      this.state = 'starting';
      try {
        this.pids = new PidRegistry(this.name, Math.floor(this.startedAt / 1000) + this.appStarts++);
        this.app = await this.opts.startApp();
        this.state = 'running';
      } catch (e) {
        this.state = 'stopped';
        this.app = undefined;
        throw e;
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  stopApp(): Promise<void> {
    return this.serial(async () => {
      const app = this.app;
      if (this.state === 'stopped' || !app) return;
      this.state = 'stopping';
      try { await app.stop(); } finally {
        this.app = undefined;
        this.state = 'stopped';
      }
      this.opts.log('info', `application stopped on node ${this.name}`);
    });
  }

  /** Back to a fresh node's state: only while the app is stopped, as rabbitmqctl reset demands. */
  reset(): Promise<void> {
    return this.serial(async () => {
      if (this.state !== 'stopped') {
        throw new ControlError(ExitCode.Usage, "this command requires the 'warren' app to be stopped on the target node. Stop it with 'warrenctl stop_app'.", false, 'stopped');
      }
      this.opts.wipe();
      this.opts.log('info', `node ${this.name} reset: metadata and messages deleted`);
    });
  }

  /** Stops the app, then the process. */
  async stop(code = 0): Promise<void> {
    try { await this.stopApp(); } catch (e) {
      this.opts.log('error', `stopping: ${(e as Error).message}`);
      code = 1;
    }
    this.opts.exit(code);
  }

  /** Resolves true once the app runs, false after `timeoutMs`. */
  waitRunning(timeoutMs: number): Promise<boolean> {
    if (this.state === 'running') return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); resolve(true); };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(done);
    });
  }
}
