// A message as it moves through the broker: raw property bytes and body slices as they came in, plus the few
// property values routing and queues need, read once at publish. Headers are parsed only when a feature asks.
import { Reader } from '../amqp/reader.js';
import { Writer } from '../amqp/writer.js';
import { decodeProperties, encodeProperties, type BasicProperties } from '../amqp/spec.generated.js';
import type { FieldTable } from '../amqp/table.js';
import type { PageRef, StoredRef } from '../store/store.js';

export interface Message {
  exchange: string;
  routingKey: string;
  /** Content-header bytes from the property flags on, as published. */
  propsRaw: Buffer;
  body: Buffer;
  props: BasicProperties;
  persistent: boolean;
  /** Per-message TTL in ms from the expiration property, or undefined. */
  ttl: number | undefined;
  priority: number;
  /** Set once the message is in the store (persistent, routed to a durable queue). */
  stored?: StoredRef;
  /** Set once a queue paged the body out to the page file: other queues paging it share the record. */
  page?: PageRef;
}

export function decodePropsRaw(raw: Buffer): BasicProperties {
  return decodeProperties(new Reader(raw, 0, raw.length));
}

export function encodePropsRaw(p: BasicProperties): Buffer {
  const w = new Writer();
  encodeProperties(w, p);
  return Buffer.concat(w.take());
}

/** Parses the expiration property as RabbitMQ does: a non-negative integer string of milliseconds. */
export function parseExpiration(s: string | undefined): number | undefined | null {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s)) return null;
  return Number(s);
}

export function makeMessage(exchange: string, routingKey: string, propsRaw: Buffer, props: BasicProperties, body: Buffer): Message {
  const ttl = parseExpiration(props.expiration);
  return {
    exchange, routingKey, propsRaw, body, props,
    persistent: props.deliveryMode === 2,
    ttl: ttl === null ? undefined : ttl,
    priority: props.priority ?? 0,
  };
}

/** A copy of the message with other properties (re-encoded) and optionally another exchange/key. */
export function withProps(m: Message, props: BasicProperties, exchange = m.exchange, routingKey = m.routingKey): Message {
  return { ...m, stored: undefined, page: undefined, exchange, routingKey, props, propsRaw: encodePropsRaw(props), ttl: parseExpiration(props.expiration) ?? undefined, priority: props.priority ?? 0, persistent: props.deliveryMode === 2 };
}

export function headersOf(m: Message): FieldTable | undefined { return m.props.headers; }
