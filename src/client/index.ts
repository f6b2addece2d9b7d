// Warren's own AMQP 0-9-1 client, built on the broker's generated codec. Used by warren-perf, and meant for
// federation and shovel links: connect(uri) → Connection → createChannel() → Channel.
export { connect, Connection, type ConnectOptions } from './connection.js';
export { Channel, type Message, type DeliveryFields, type ReturnedMessage, type OnMessage, type QueueDeclared } from './channel.js';
export { ConfirmTracker, ConfirmNackError, type ConfirmListener } from './confirms.js';
export { AmqpCloseError, ClosedError } from './errors.js';
export { parseUri, type AmqpUri } from './uri.js';
export type { BasicProperties } from '../amqp/spec.generated.js';
