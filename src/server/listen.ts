// Binding a listener: resolves with the bound port (the one asked for, or the one picked for port 0) and
// rejects with the bind error (EADDRINUSE, EACCES, ...). Shared by AMQP, management, Prometheus and control.
import type { Server as NetServer } from 'node:net';

export function listenOn(srv: NetServer, port: number, host?: string, backlog?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen({ port, host, backlog }, () => {
      srv.off('error', reject);
      const a = srv.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}
