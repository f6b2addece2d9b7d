// connection_max as RabbitMQ 3.10 applies it: ranch's max_connections makes the listener stop accepting, so
// a client over the limit is neither refused nor answered; its TCP connection waits (in the kernel's backlog
// there) until a connection closes. Node accepts every socket, so the sockets over the limit wait here, paused
// and unread, first come first served; one that the client gives up on leaves the line.
import type { Socket } from 'node:net';

export class WaitingSockets {
  private readonly line = new Set<Socket>();

  get size(): number { return this.line.size; }

  hold(socket: Socket): void {
    socket.pause();
    this.line.add(socket);
    socket.once('close', () => this.line.delete(socket));
    socket.on('error', () => { /* reported through close */ });
  }

  /** The longest-waiting socket still open, resumed for its connection; undefined when none waits. */
  next(): Socket | undefined {
    for (const s of this.line) {
      this.line.delete(s);
      if (s.destroyed) continue;
      s.resume();
      return s;
    }
    return undefined;
  }

  destroyAll(): void {
    for (const s of this.line) s.destroy();
    this.line.clear();
  }
}
