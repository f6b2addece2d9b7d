// The limits checked when a connection opens or a channel is created, counted over this node's connections
// as RabbitMQ's connection and channel tracking does: vhost max-connections, user max-connections and user
// max-channels (rabbit_reader 3.10.8, texts checked against a running 3.10.8). All are 530 NOT_ALLOWED
// connection errors. The counts are only taken when a limit is set, so unlimited users pay nothing.
import { ConnectionError, ReplyCode } from '../amqp/errors.js';
import { M } from '../amqp/spec.generated.js';
import { limitOf } from '../broker/limits.js';
import type { Server } from './server.js';

/** connection.open: the vhost's, then the user's connection limit (RabbitMQ checks both before vhost access). */
export function checkConnectionLimits(server: Server, user: string, vhost: string): void {
  const b = server.broker;
  const vLimit = limitOf(b.meta.vhosts.get(vhost)?.limits, 'max-connections');
  if (vLimit !== undefined && count(server, (c) => c.ctx?.vhost.name === vhost) >= vLimit) {
    throw new ConnectionError(ReplyCode.NotAllowed,
      `access to vhost '${vhost}' refused for user '${user}': connection limit (${vLimit}) is reached`, M.ConnectionOpen);
  }
  const uLimit = limitOf(b.user(user)?.limits, 'max-connections');
  if (uLimit !== undefined && count(server, (c) => c.user === user) >= uLimit) {
    throw new ConnectionError(ReplyCode.NotAllowed,
      `connection refused for user '${user}': user connection limit (${uLimit}) is reached`, M.ConnectionOpen);
  }
}

/** A new channel: the user's max-channels over all of its connections on this node (class/method 0, as RabbitMQ). */
export function checkUserChannelLimit(server: Server, user: string): void {
  const limit = limitOf(server.broker.user(user)?.limits, 'max-channels');
  if (limit === undefined) return;
  let n = 0;
  for (const c of server.connections) if (c.state === 'opened' && c.user === user) n += c.channels.size;
  if (n >= limit) {
    throw new ConnectionError(ReplyCode.NotAllowed,
      `number of channels opened for user '${user}' has reached the maximum allowed user limit of (${limit})`, 0);
  }
}

function count(server: Server, match: (c: { user: string; ctx: { vhost: { name: string } } | undefined }) => boolean): number {
  let n = 0;
  for (const c of server.connections) if (c.state === 'opened' && match(c)) n++;
  return n;
}
