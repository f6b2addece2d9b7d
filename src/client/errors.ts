// Errors the client surfaces: a close by the broker (channel.close or connection.close, with RabbitMQ's reply
// code and text, e.g. 404 "NOT_FOUND - no queue 'q' in vhost '/'"), and the use of something already closed.

export class AmqpCloseError extends Error {
  constructor(
    readonly scope: 'channel' | 'connection',
    readonly code: number,
    readonly replyText: string,
    readonly classId = 0,
    readonly methodId = 0,
  ) {
    super(`${scope} closed by the broker: ${code} ${replyText}`);
    this.name = 'AmqpCloseError';
  }
}

export class ClosedError extends Error {
  constructor(what: string, cause?: Error) {
    super(cause ? `${what} is closed: ${cause.message}` : `${what} is closed`, { cause });
    this.name = 'ClosedError';
  }
}
