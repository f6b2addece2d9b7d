// Authentication attempt counters per protocol, as RabbitMQ 3.10's rabbit_core_metrics auth_attempt_metrics
// behind /api/auth/attempts/{node}: every login (AMQP connection.start-ok, HTTP basic auth) counts once, as
// succeeded or failed. Per-source tracking (/api/auth/attempts/{node}/source) is off by default in RabbitMQ
// (track_auth_attempt_source = false), so there is none here either.
export interface AuthAttemptCounts { protocol: string; auth_attempts: number; auth_attempts_failed: number; auth_attempts_succeeded: number }

export class AuthAttempts {
  private readonly byProtocol = new Map<string, { ok: number; failed: number }>();

  /** protocol: RabbitMQ's names, 'amqp091' and 'http'. */
  record(protocol: string, ok: boolean): void {
    let c = this.byProtocol.get(protocol);
    if (!c) { c = { ok: 0, failed: 0 }; this.byProtocol.set(protocol, c); }
    if (ok) c.ok++; else c.failed++;
  }

  list(): AuthAttemptCounts[] {
    return [...this.byProtocol].map(([protocol, c]) => ({
      protocol, auth_attempts: c.ok + c.failed, auth_attempts_failed: c.failed, auth_attempts_succeeded: c.ok,
    }));
  }
}
