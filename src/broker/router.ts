// The routing interface every exchange type implements, and the registry of types by name.
// A router knows only (destination, routing key, arguments) triples; the Exchange keeps the binding records.
import type { FieldTable } from '../amqp/table.js';

/**
 * Routes one exchange's messages. bind() is called once for every distinct binding (same destination, key and
 * arguments are one binding); unbind() undoes exactly one earlier bind(). route() adds every matching
 * destination to `out` (a Set, so a destination reached twice is delivered once) and must not allocate per
 * call in the common case.
 */
export interface Router<D> {
  bind(dest: D, key: string, args: FieldTable): void;
  unbind(dest: D, key: string, args: FieldTable): void;
  route(key: string, headers: FieldTable | undefined, out: Set<D>): void;
  /** Validates binding arguments before bind (e.g. x-match); throws ChannelError 406 when invalid. */
  validate?(key: string, args: FieldTable): void;
}

export interface ExchangeType {
  readonly name: string;
  create<D>(): Router<D>;
}

const types = new Map<string, ExchangeType>();

export function registerExchangeType(t: ExchangeType): void { types.set(t.name, t); }
export function exchangeType(name: string): ExchangeType | undefined { return types.get(name); }
