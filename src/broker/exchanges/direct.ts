// The 'direct' exchange type: routes to destinations bound with exactly the message's routing key.
// Bindings are a multiset per key (see DestBag); the routing key is the only thing compared.
import type { ExchangeType, Router } from '../router.js';
import type { FieldTable } from '../../amqp/table.js';
import { DestBag } from './dest-bag.js';

class DirectRouter<D> implements Router<D> {
  private readonly byKey = new Map<string, DestBag<D>>();

  bind(dest: D, key: string, _args: FieldTable): void {
    let bag = this.byKey.get(key);
    if (bag === undefined) { bag = new DestBag<D>(); this.byKey.set(key, bag); }
    bag.add(dest);
  }

  unbind(dest: D, key: string, _args: FieldTable): void {
    const bag = this.byKey.get(key);
    if (bag !== undefined && bag.remove(dest) && bag.size === 0) this.byKey.delete(key);
  }

  route(key: string, _headers: FieldTable | undefined, out: Set<D>): void {
    this.byKey.get(key)?.addTo(out);
  }
}

export const directExchange: ExchangeType = {
  name: 'direct',
  create<D>(): Router<D> { return new DirectRouter<D>(); },
};
