// Value syntax for warren.conf, as RabbitMQ's cuttlefish schema reads it: integers, floats, booleans, byte
// sizes (frame_max: 128KB = 131072), information units (disk_free_limit: 50MB = 50000000, 1GiB), listeners.
import { isIP } from 'node:net';

/** A value that does not fit its key; conf.ts adds the file, line and key. */
export class ValueError extends Error {}

export type Parse<T> = (raw: string) => T;

const INT = /^[+-]?[0-9]+$/;

export function integer(min: number, max: number, what = 'an integer'): Parse<number> {
  return (raw) => {
    if (!INT.test(raw)) throw new ValueError(`expected ${what}`);
    const n = Number(raw);
    if (n < min || n > max) throw new ValueError(`must be between ${min} and ${max}`);
    return n;
  };
}

export const port: Parse<number> = integer(0, 65535, 'a TCP port number');

/** cuttlefish's [{atom, infinity}, integer] (handshake_timeout, connection_max): "infinity" reads as Infinity. */
export function orInfinity(parse: Parse<number>): Parse<number> {
  return (raw) => (raw === 'infinity' ? Infinity : parse(raw));
}

/** cuttlefish "float": 0.4, .5; Warren also takes a plain integer (RabbitMQ would not). */
export function float(min: number, max = Infinity): Parse<number> {
  return (raw) => {
    if (!/^([0-9]+(\.[0-9]+)?|\.[0-9]+)$/.test(raw)) throw new ValueError('expected a number such as 0.4');
    const n = Number(raw);
    if (n < min || n > max) throw new ValueError(max === Infinity ? `must be at least ${min}` : `must be between ${min} and ${max}`);
    return n;
  };
}

export const bool: Parse<boolean> = (raw) => {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ValueError('expected true or false');
};

export function oneOf<T extends string>(values: readonly T[]): Parse<T> {
  return (raw) => {
    if ((values as readonly string[]).includes(raw)) return raw as T;
    throw new ValueError(`expected one of: ${values.join(', ')}`);
  };
}

export const string: Parse<string> = (raw) => {
  if (raw === '') throw new ValueError('must not be empty');
  return raw;
};

/** A string that must compile as a regular expression (permission patterns). */
export const regex: Parse<string> = (raw) => {
  try { new RegExp(raw); } catch { throw new ValueError('is not a valid regular expression'); }
  return raw;
};

export const ip: Parse<string> = (raw) => {
  const a = raw.startsWith('[') && raw.endsWith(']') ? raw.slice(1, -1) : raw;
  if (isIP(a) === 0) throw new ValueError('expected an IPv4 or IPv6 address');
  return a;
};

const BYTESIZE_UNITS: Record<string, number> = { KB: 1024, kb: 1024, MB: 1024 ** 2, mb: 1024 ** 2, GB: 1024 ** 3, gb: 1024 ** 3 };

/**
 * cuttlefish "bytesize" (frame_max): a number of bytes, optionally with KB, MB or GB (upper or lower case),
 * which are powers of 1024 here: 128KB = 131072.
 */
export function bytesize(min: number, max: number): Parse<number> {
  return (raw) => {
    const m = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)(KB|kb|MB|mb|GB|gb)?$/.exec(raw);
    if (!m) throw new ValueError('expected a size in bytes such as 131072 or 128KB');
    const n = Number(m[1]) * (m[2] ? BYTESIZE_UNITS[m[2]] : 1);
    if (!Number.isInteger(n)) throw new ValueError('is not a whole number of bytes');
    if (n < min || n > max) throw new ValueError(`must be between ${min} and ${max} bytes`);
    return n;
  };
}

const POWERS: Record<string, number> = { k: 1, m: 2, g: 3, t: 4, p: 5 };

/**
 * RabbitMQ's information units (vm_memory_high_watermark.absolute, disk_free_limit.absolute): a byte
 * count, or a number with a unit where k/M/G/T/P alone or with "i" (Ki, KiB, MiB...) are powers of 1024
 * and with "B" but no "i" (kB, KB, MB, GB...) powers of 1000: 50MB = 50000000, 1GiB = 1073741824.
 */
export const informationUnit: Parse<number> = (raw) => {
  const m = /^([0-9]+)(?:([kKmMgGtTpP])([iI]?)([bB]?))?$/.exec(raw);
  if (!m) throw new ValueError('expected a size such as 50000000, 50MB, 512MiB or 2GB');
  const n = Number(m[1]);
  if (!m[2]) return n;
  const binary = m[3] !== '' || m[4] === '';
  return n * (binary ? 1024 : 1000) ** POWERS[m[2].toLowerCase()];
};

export interface ListenerAddress {
  /** undefined: every interface (IPv6 "::", falling back to IPv4 "0.0.0.0"). */
  host: string | undefined;
  port: number;
}

/**
 * A listener (listeners.tcp.<name>): a port (5672) or address:port. IPv6 addresses may be bracketed
 * ([::1]:5672) or bare, split at the last colon as cuttlefish does (::1:5672).
 */
export const listener: Parse<ListenerAddress> = (raw) => {
  if (INT.test(raw)) return { host: undefined, port: port(raw) };
  const bracketed = /^\[([^\]]+)\]:([^:]*)$/.exec(raw);
  let host: string, portText: string;
  if (bracketed) {
    [, host, portText] = bracketed;
  } else {
    const i = raw.lastIndexOf(':');
    if (i <= 0) throw new ValueError('expected a port (5672) or address:port (127.0.0.1:5672, [::1]:5672)');
    host = raw.slice(0, i);
    portText = raw.slice(i + 1);
  }
  if (isIP(host) === 0) throw new ValueError(`'${host}' is not an IP address (expected 5672, 127.0.0.1:5672 or [::1]:5672)`);
  if (!/^[0-9]+$/.test(portText)) throw new ValueError(`'${portText}' is not a TCP port number`);
  return { host, port: port(portText) };
};
