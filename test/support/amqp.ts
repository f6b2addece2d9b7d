// Test support: small helpers shared by the integration tests (names, waiting for server-side closes).
import { randomBytes } from 'node:crypto';
import type { Channel, ConfirmChannel, ChannelModel } from 'amqplib';

/** A name no other test (or earlier run against a shared RabbitMQ) uses. */
export function uniq(prefix = 't'): string {
  return `${prefix}.${randomBytes(5).toString('hex')}`;
}

/** The error amqplib reports when the server closes a channel or connection. */
export interface ServerClose extends Error {
  code?: number;
  classId?: number;
  methodId?: number;
}

/** Resolves with the error the server closed the channel (or its connection) with. */
export function channelClosed(ch: Channel | ConfirmChannel): Promise<ServerClose> {
  return new Promise((resolve) => {
    ch.once('error', (e: ServerClose) => resolve(e));
  });
}

/** Resolves with the error the server closed the connection with. */
export function connectionClosed(conn: ChannelModel): Promise<ServerClose> {
  return new Promise((resolve) => {
    conn.once('error', (e: ServerClose) => resolve(e));
  });
}

/**
 * Runs an operation expected to make the server close the channel; returns the close error
 * (reply code in .code, class and method id in .classId/.methodId).
 */
export async function expectChannelError(ch: Channel | ConfirmChannel, op: () => unknown): Promise<ServerClose> {
  const closed = channelClosed(ch);
  try { await op(); } catch { /* the operation's own promise rejects too */ }
  return closed;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls fn until it returns a truthy value or the timeout passes. */
export async function eventually<T>(fn: () => Promise<T> | T, timeoutMs = 3000, stepMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(stepMs);
  }
}
