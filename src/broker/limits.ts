// Vhost limits (max-connections, max-queues) and user limits (max-connections, max-channels) as RabbitMQ 3.10's
// rabbit_vhost_limit and rabbit_auth_backend_internal read them: an absent or negative limit means none, 0
// allows nothing. The counting is the caller's (queues here; connections and channels in server/limits.ts).
import { ChannelError, ReplyCode } from '../amqp/errors.js';
import type { Broker } from './broker.js';

export const VHOST_LIMIT_NAMES: readonly string[] = ['max-connections', 'max-queues'];
export const USER_LIMIT_NAMES: readonly string[] = ['max-connections', 'max-channels'];

/** The limit in force, or undefined for none (absent or negative, as rabbit_vhost_limit). */
export function limitOf(limits: Record<string, number> | undefined, name: string): number | undefined {
  const v = limits?.[name];
  return typeof v === 'number' && v >= 0 ? v : undefined;
}

/**
 * Before a new queue is created (not on redeclaring one): 406 once the vhost holds max-queues queues.
 * Text as rabbit_queue_type:check_queue_limits (checked against RabbitMQ 3.10.8; server-named queues too).
 */
export function checkQueueLimit(broker: Broker, vhost: string, queueCount: number, queue: string): void {
  const limit = limitOf(broker.meta.vhosts.get(vhost)?.limits, 'max-queues');
  if (limit === undefined || queueCount < limit) return;
  throw new ChannelError(ReplyCode.PreconditionFailed,
    `cannot declare queue '${queue}': queue limit in vhost '${vhost}' (${limit}) is reached`);
}
