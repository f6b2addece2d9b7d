// Protocol errors. Broker code throws these anywhere; only the connection's dispatcher turns them into
// channel.close / connection.close with the class and method id of the method being handled.
export const ReplyCode = {
  ContentTooLarge: 311,
  NoRoute: 312,
  NoConsumers: 313,
  ConnectionForced: 320,
  InvalidPath: 402,
  AccessRefused: 403,
  NotFound: 404,
  ResourceLocked: 405,
  PreconditionFailed: 406,
  FrameError: 501,
  SyntaxError: 502,
  CommandInvalid: 503,
  ChannelError: 504,
  UnexpectedFrame: 505,
  ResourceError: 506,
  NotAllowed: 530,
  NotImplemented: 540,
  InternalError: 541,
} as const;

const names: Record<number, string> = {
  311: 'CONTENT_TOO_LARGE', 312: 'NO_ROUTE', 313: 'NO_CONSUMERS', 320: 'CONNECTION_FORCED', 402: 'INVALID_PATH',
  403: 'ACCESS_REFUSED', 404: 'NOT_FOUND', 405: 'RESOURCE_LOCKED', 406: 'PRECONDITION_FAILED',
  501: 'FRAME_ERROR', 502: 'SYNTAX_ERROR', 503: 'COMMAND_INVALID', 504: 'CHANNEL_ERROR', 505: 'UNEXPECTED_FRAME',
  506: 'RESOURCE_ERROR', 530: 'NOT_ALLOWED', 540: 'NOT_IMPLEMENTED', 541: 'INTERNAL_ERROR',
};

/**
 * RabbitMQ's reply-text form: "NOT_FOUND - no queue 'q' in vhost '/'". Like RabbitMQ, a text longer than a
 * shortstr keeps its first 252 bytes (whole UTF-8 characters here) and ends in "...".
 */
export function replyText(code: number, text: string): string {
  const full = `${names[code] ?? 'ERROR'} - ${text}`;
  if (Buffer.byteLength(full) <= 255) return full;
  return new TextDecoder().decode(Buffer.from(full).subarray(0, 252), { stream: true }) + '...';
}

/** An error that closes the channel (soft error). */
export class ChannelError extends Error {
  constructor(readonly code: number, text: string) { super(text); }
}

/** An error that closes the whole connection (hard error). */
export class ConnectionError extends Error {
  /** `method` overrides the class/method ids of the close (0 for errors not caused by one method). */
  constructor(readonly code: number, text: string, readonly method?: number) { super(text); }
}

/** Malformed bytes inside a frame payload: a connection-level 501/502 at the reader. */
export class DecodeError extends ConnectionError {
  constructor(text: string) { super(ReplyCode.FrameError, text, 0); }
}
