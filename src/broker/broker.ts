// The broker: metadata state (changed only through execute(command)), the run-time vhosts built from it,
// users and permissions, and the defaults a fresh node starts with (vhost "/", guest, the amq.* exchanges).
import { ChannelError, ReplyCode } from '../amqp/errors.js';
import type { FieldTable } from '../amqp/table.js';
import { checkPassword, hashPassword, HASHING_SHA256, permits, type PermissionKind } from './auth.js';
import { apply, emptyState, permissionKey, type Change, type Command, type ExchangeDef, type MetaState, type UserDef } from './metadata.js';
import type { Queue } from './queue.js';
import { MessageStats } from './stats.js';
import { stateToCommands } from './state-commands.js';
import type { Store } from '../store/store.js';
import { VirtualHost } from './vhost.js';

export interface BrokerOptions {
  nodeName: string;
  defaultUser?: string;
  defaultPass?: string;
  defaultVhost?: string;
  defaultUserTags?: string[];
  defaultPermissions?: { configure: string; write: string; read: string };
  /** Users who may connect only from loopback addresses (RabbitMQ's loopback_users). */
  loopbackUsers?: string[];
  now?: () => number;
  /** Metadata recovered from disk: rebuilt as it is instead of creating the defaults. */
  state?: MetaState;
  /** Called with each command before it is applied, with the state it applies to (persistence). */
  persist?: (cmd: Command, before: MetaState) => void;
  /** The durable store for persistent messages. */
  store?: Store;
}

/** The exchanges every vhost has, as RabbitMQ creates them. */
const STANDARD_EXCHANGES: [string, string][] = [
  ['', 'direct'], ['amq.direct', 'direct'], ['amq.fanout', 'fanout'], ['amq.topic', 'topic'],
  ['amq.headers', 'headers'], ['amq.match', 'headers'], ['amq.rabbitmq.trace', 'topic'],
];

export type ChangeListener = (c: Change) => void;

export class Broker {
  readonly meta: MetaState = emptyState();
  readonly vhosts = new Map<string, VirtualHost>();
  readonly loopbackUsers: Set<string>;
  readonly nodeName: string;
  readonly store: Store | undefined;
  readonly now: () => number;
  private listeners: ChangeListener[] = [];
  /** Node-wide counters (all channels, including closed ones). */
  readonly stats = new MessageStats();
  /** Bumped on every user or permission change, so channels can cache permission checks. */
  permissionEpoch = 0;
  /** Queues removed, for channels to drop consumers (set by the server layer). */
  onQueueRemoved: ((q: Queue) => void) | undefined;

  constructor(opts: BrokerOptions) {
    this.nodeName = opts.nodeName;
    this.now = opts.now ?? Date.now;
    this.store = opts.store;
    this.loopbackUsers = new Set(opts.loopbackUsers ?? ['guest']);
    if (opts.state) { this.load(opts.state); this.persist = opts.persist; return; }
    this.persist = opts.persist;
    const user = opts.defaultUser ?? 'guest', vhost = opts.defaultVhost ?? '/';
    this.addVhost(vhost, 'Default virtual host'); // RabbitMQ's description of the vhost it creates at first boot
    this.execute({ type: 'user.put', def: { name: user, passwordHash: hashPassword(opts.defaultPass ?? 'guest'), hashingAlgorithm: HASHING_SHA256, tags: opts.defaultUserTags ?? ['administrator'] } });
    this.execute({ type: 'permission.set', def: { user, vhost, ...(opts.defaultPermissions ?? { configure: '.*', write: '.*', read: '.*' }) } });
  }

  private persist: ((cmd: Command, before: MetaState) => void) | undefined;

  onChange(l: ChangeListener): void { this.listeners.push(l); }

  /** Rebuilds metadata and run-time objects from a recovered state (nothing is logged again). */
  private load(s: MetaState): void {
    for (const c of stateToCommands(s)) this.execute(c);
  }

  /** The only way metadata changes. Returns the primitive changes, which the run-time state has applied. */
  execute(cmd: Command): Change[] {
    this.persist?.(cmd, this.meta);
    const changes = apply(this.meta, cmd);
    for (const c of changes) {
      if (c.type === 'vhost.added') {
        this.vhosts.set(c.def.name, new VirtualHost(c.def.name, {
          now: this.now,
          deleteQueue: (vh, name) => this.execute({ type: 'queue.delete', vhost: vh, name }),
          onQueueRemoved: (q) => this.onQueueRemoved?.(q),
          store: this.store,
          meta: (vh) => this.meta.vhosts.get(vh),
        }));
      } else if (c.type === 'vhost.removed') {
        this.vhosts.delete(c.name);
      } else if (c.type === 'policy.changed') {
        this.vhosts.get(c.vhost)?.applyPolicies();
      } else if ('def' in c && 'vhost' in c.def) {
        this.vhosts.get(c.def.vhost)?.applyChange(c);
      }
      if (c.type === 'user.changed' || c.type === 'permission.changed' || c.type === 'vhost.removed') this.permissionEpoch++;
      for (const l of this.listeners) l(c);
    }
    return changes;
  }

  addVhost(name: string, description = ''): void {
    this.execute({ type: 'vhost.add', def: { name, description, tags: [] } });
    for (const [ex, type] of STANDARD_EXCHANGES) {
      const def: ExchangeDef = { vhost: name, name: ex, type, durable: true, autoDelete: false, internal: ex === 'amq.rabbitmq.trace', args: {} };
      this.execute({ type: 'exchange.declare', def });
    }
  }

  user(name: string): UserDef | undefined { return this.meta.users.get(name); }

  /** Checks a login; returns the user or undefined (never says which part was wrong). */
  authenticate(name: string, password: string): UserDef | undefined {
    const u = this.meta.users.get(name);
    if (!u || !u.passwordHash) return undefined;
    return checkPassword(password, u.passwordHash, u.hashingAlgorithm) ? u : undefined;
  }

  canAccessVhost(user: string, vhost: string): boolean {
    return this.meta.permissions.has(permissionKey(user, vhost));
  }

  /** Throws 403 ACCESS_REFUSED as RabbitMQ words it when `user` lacks `kind` on the resource. */
  checkPermission(user: string, vhost: string, kind: PermissionKind, resourceKind: 'queue' | 'exchange', name: string): void {
    const perm = this.meta.permissions.get(permissionKey(user, vhost));
    const resName = resourceKind === 'exchange' && name === '' ? 'amq.default' : name;
    if (!permits(perm, kind, resName)) {
      throw new ChannelError(ReplyCode.AccessRefused,
        `access to ${resourceKind} '${resName}' in vhost '${vhost}' refused for user '${user}'`);
    }
  }

  /**
   * Topic authorisation (RabbitMQ's check_topic_access), for topic exchanges only: with a topic permission for
   * the user, vhost and exchange, the routing key must match its write (publish) or read (bind) regex, after
   * {username} and {vhost} are expanded; an empty regex allows only the empty key. No topic permission: allowed.
   */
  checkTopicPermission(user: string, vhost: string, exchange: string, kind: 'write' | 'read', routingKey: string): void {
    const tp = this.meta.topicPermissions;
    if (!tp || tp.size === 0) return;
    const p = tp.get(`${permissionKey(user, vhost)}\0${exchange}`);
    if (!p) return;
    const src = (p[kind] === '' ? '^$' : p[kind]).replaceAll('{username}', user).replaceAll('{vhost}', vhost);
    if (!permits({ user, vhost, configure: '', write: src, read: src }, kind, routingKey)) {
      throw new ChannelError(ReplyCode.AccessRefused,
        `access to topic '${routingKey}' in exchange '${exchange}' in vhost '${vhost}' refused for user '${user}'`);
    }
  }

  queueArgs(args: FieldTable): FieldTable { return args; }
}
