// The 'headers' exchange type, as RabbitMQ 3.10's rabbit_exchange_type_headers: binding arguments matched
// against message headers under x-match all (default) | any | all-with-x | any-with-x; a void binding value
// only requires the header to be present; values compare as Erlang's == does (see erlang-terms.ts).
import { argType } from '../args.js';
import type { ExchangeType, Router } from '../router.js';
import { encodeTable, type FieldTable, type FieldValue } from '../../amqp/table.js';
import { ChannelError } from '../../amqp/errors.js';
import { erlBinary, erlTerm, erlType, valueEquals } from './erlang-terms.js';

const MODES: Record<string, number> = { all: 0, any: 1, 'all-with-x': 2, 'any-with-x': 3 };
const ANY = 1;
const WITH_X = 2;

interface Binding<D> {
  readonly dest: D;
  readonly sig: string;
  readonly any: boolean;
  readonly keys: string[];
  readonly values: FieldValue[];
  count: number;
}

/** Identity of an argument table regardless of key order (RabbitMQ sorts binding arguments by key). */
function signature(args: FieldTable): string {
  const sorted: FieldTable = {};
  for (const k of Object.keys(args).sort()) if (args[k] !== undefined) sorted[k] = args[k]!;
  return encodeTable(sorted).toString('latin1');
}

/** x-match's mode; anything invalid is `all`, as RabbitMQ's parse_x_match does for legacy bindings. */
function modeOf(args: FieldTable): number {
  const m = args['x-match'];
  return typeof m === 'string' ? MODES[m] ?? 0 : 0;
}

function compile<D>(dest: D, sig: string, args: FieldTable): Binding<D> {
  const mode = modeOf(args);
  const keys: string[] = [];
  const values: FieldValue[] = [];
  for (const k of Object.keys(args)) {
    const v = args[k];
    if (v === undefined || k === 'x-match') continue;
    if ((mode & WITH_X) === 0 && k.startsWith('x-')) continue;
    keys.push(k);
    values.push(v);
  }
  return { dest, sig, any: (mode & ANY) !== 0, keys, values, count: 0 };
}

/** headers_match: `all` needs every pattern field matched, `any` at least one (so none never matches). */
export function headersMatch(b: Binding<unknown>, headers: FieldTable | undefined): boolean {
  const keys = b.keys;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const h = headers !== undefined && Object.hasOwn(headers, k) ? headers[k] : undefined;
    const pv = b.values[i]!;
    const ok = h !== undefined && (pv === null || valueEquals(pv, h));
    if (ok === b.any) return ok;
  }
  return !b.any;
}

class HeadersRouter<D> implements Router<D> {
  private readonly byDest = new Map<D, Map<string, Binding<D>>>();
  private readonly list: Binding<D>[] = [];

  validate(_key: string, args: FieldTable): void {
    const m = args['x-match'];
    if (m === undefined) return;
    if (typeof m === 'string') {
      if (MODES[m] !== undefined) return;
      throw new ChannelError(406, `Invalid x-match field value ${erlBinary(Buffer.from(m, 'utf8'))}; ` +
        'expected all, any, all-with-x, or any-with-x');
    }
    throw new ChannelError(406, `Invalid x-match field type ${argType(args, 'x-match')} (value ${erlTerm(m)}); expected longstr`);
  }

  bind(dest: D, _key: string, args: FieldTable): void {
    const sig = signature(args);
    let forDest = this.byDest.get(dest);
    if (forDest === undefined) { forDest = new Map(); this.byDest.set(dest, forDest); }
    let b = forDest.get(sig);
    if (b === undefined) {
      b = compile(dest, sig, args);
      forDest.set(sig, b);
      this.list.push(b);
    }
    b.count++;
  }

  unbind(dest: D, _key: string, args: FieldTable): void {
    const forDest = this.byDest.get(dest);
    const sig = signature(args);
    const b = forDest?.get(sig);
    if (forDest === undefined || b === undefined || --b.count > 0) return;
    forDest.delete(sig);
    if (forDest.size === 0) this.byDest.delete(dest);
    this.list.splice(this.list.indexOf(b), 1);
  }

  route(_key: string, headers: FieldTable | undefined, out: Set<D>): void {
    const l = this.list;
    for (let i = 0; i < l.length; i++) {
      const b = l[i]!;
      if (!out.has(b.dest) && headersMatch(b, headers)) out.add(b.dest);
    }
  }
}

export const headersExchange: ExchangeType = {
  name: 'headers',
  create<D>(): Router<D> { return new HeadersRouter<D>(); },
};
