// Shared pieces of the info builders: their input (broker, server, optional sampler), the RabbitMQ forms of
// counters with rates ({x, x_details: {rate}}), timestamps and network addresses.
import type { Broker } from '../broker/broker.js';
import type { Server } from '../server/server.js';
import type { Counters, StatsSampler } from './sampler.js';

/** What the builders read: the broker, the AMQP server, and the stats sampler when statistics are on. */
export interface InfoSource { broker: Broker; server: Server; sampler?: StatsSampler }

export type Json = Record<string, unknown>;

/** `{key: n, key_details: {rate}}` for each key, as RabbitMQ's basic rates mode. */
export function withDetails(counts: Counters, rates: Counters | undefined, keys: string[], out: Json = {}): Json {
  for (const k of keys) {
    out[k] = counts[k] ?? 0;
    out[`${k}_details`] = { rate: rates?.[k] ?? 0 };
  }
  return out;
}

/** RabbitMQ's timestamps for idle_since (calendar:system_time_to_rfc3339 with milliseconds). */
export function rfc3339(ms: number): string { return new Date(ms).toISOString().replace('Z', '+00:00'); }

/** rabbit_misc:ntoa: an IPv4-mapped IPv6 address as plain IPv4. */
export function ntoa(addr: string | undefined): string {
  if (!addr) return 'unknown';
  return addr.startsWith('::ffff:') && addr.includes('.') ? addr.slice(7) : addr;
}

/** rabbit_misc:ntoab: as ntoa, IPv6 in brackets (for connection names). */
export function ntoab(addr: string | undefined): string {
  const a = ntoa(addr);
  return a.includes(':') ? `[${a}]` : a;
}
