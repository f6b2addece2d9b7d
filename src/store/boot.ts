// Start-up with durability: recover metadata and messages from the data directory, build the broker from
// them (or from the defaults on a fresh node), put each durable queue's messages back, then open the WAL for
// new records. Every later metadata command that outlives a restart is logged before it is applied.
import { join } from 'node:path';
import { Broker, type BrokerOptions } from '../broker/broker.js';
import { isDurableCommand, Store } from './store.js';

export interface BootResult {
  broker: Broker;
  store: Store;
  /** What recovery found, for the log. */
  recovered: { records: number; truncatedBytes: number; messages: number; queues: number };
}

export async function bootBroker(dataDir: string, opts: BrokerOptions): Promise<BootResult> {
  // WARREN_WAL_SEGMENT_BYTES: smaller segments, for tests of segment roll-over and reclaim.
  const seg = Number(process.env.WARREN_WAL_SEGMENT_BYTES) || undefined;
  const store = new Store(join(dataDir, 'store'), seg);
  const rec = store.recover();
  const broker = new Broker({
    ...opts,
    state: rec.meta,
    store,
    persist: (cmd, before) => { if (isDurableCommand(before, cmd)) store.logCommand(cmd); },
  });
  let messages = 0;
  for (const [key, list] of rec.messages) {
    const [vhost, name] = key.split('\0') as [string, string];
    const q = broker.vhosts.get(vhost)?.queues.get(name);
    if (!q) continue;
    messages += list.length;
    q.restore(list);
  }
  await store.open(() => broker.meta);
  return { broker, store, recovered: { records: rec.records, truncatedBytes: rec.truncatedBytes, messages, queues: rec.messages.size } };
}
