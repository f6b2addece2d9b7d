// The 'fanout' exchange type: routes every message to every bound destination, ignoring key and headers.
// A destination bound several times (different keys or arguments) stays routed until its last unbind.
import type { ExchangeType, Router } from '../router.js';
import type { FieldTable } from '../../amqp/table.js';
import { DestBag } from './dest-bag.js';

class FanoutRouter<D> implements Router<D> {
  private readonly bag = new DestBag<D>();

  bind(dest: D, _key: string, _args: FieldTable): void { this.bag.add(dest); }
  unbind(dest: D, _key: string, _args: FieldTable): void { this.bag.remove(dest); }
  route(_key: string, _headers: FieldTable | undefined, out: Set<D>): void { this.bag.addTo(out); }
}

export const fanoutExchange: ExchangeType = {
  name: 'fanout',
  create<D>(): Router<D> { return new FanoutRouter<D>(); },
};
