// SASL mechanisms for connection.start-ok, registered by name as RabbitMQ's auth_mechanisms: PLAIN and
// AMQPLAIN check a password against the internal user database; EXTERNAL (rabbitmq_auth_mechanism_ssl) takes
// the user name from the TLS client certificate and checks no password, but the user must exist. A refusal
// carries the reason RabbitMQ logs ("user 'x' - invalid credentials"), never shown to the client.
import type { Socket } from 'node:net';
import { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { ConnectionError, ReplyCode } from '../amqp/errors.js';
import { readTable } from '../amqp/table.js';
import { checkPassword, hashPassword } from '../broker/auth.js';
import type { Broker } from '../broker/broker.js';

export type CertLoginFrom = 'distinguished_name' | 'common_name';
/** A login: the user, or why it was refused (and who tried, when the response named someone). */
export type LoginOutcome = { user: string } | { refused: string; tried?: string };

export interface AuthMechanism {
  readonly name: string;
  /** Offered in connection.start on this socket (EXTERNAL: only with a verified client certificate). */
  offered(socket: Socket): boolean;
  login(response: string, socket: Socket): LoginOutcome;
}

/** Spent on logins of unknown users, so that they take as long as a wrong password for a known one. */
const DUMMY_HASH = hashPassword('warren-no-such-user');

function passwordLogin(broker: Broker, user: string, pass: string): LoginOutcome {
  if (!broker.user(user)) {
    checkPassword(pass, DUMMY_HASH);
    return { refused: `user '${user}' - invalid credentials`, tried: user };
  }
  return broker.authenticate(user, pass) ? { user } : { refused: `user '${user}' - invalid credentials`, tried: user };
}

export function plainMechanism(broker: Broker): AuthMechanism {
  return {
    name: 'PLAIN',
    offered: () => true,
    login(response) {
      // authzid NUL authcid NUL passwd; as RabbitMQ, an authzid is accepted and ignored.
      const parts = response.split('\0');
      if (parts.length !== 3) return { refused: 'response is not authzid NUL user NUL password' };
      return passwordLogin(broker, parts[1]!, parts[2]!);
    },
  };
}

export function amqplainMechanism(broker: Broker): AuthMechanism {
  return {
    name: 'AMQPLAIN',
    offered: () => true,
    login(response) {
      const raw = Buffer.from(response, 'latin1');
      let t;
      try { t = readTable(raw, 0, raw.length); } catch { return { refused: 'response is not a field table' }; }
      if (typeof t.LOGIN !== 'string' || typeof t.PASSWORD !== 'string') return { refused: 'LOGIN or PASSWORD missing' };
      return passwordLogin(broker, t.LOGIN, t.PASSWORD);
    },
  };
}

/** The verified client certificate of a TLS socket, if any. */
export function peerCertificate(socket: Socket): X509Certificate | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  return socket.getPeerX509Certificate();
}

export function externalMechanism(broker: Broker, from: CertLoginFrom): AuthMechanism {
  return {
    name: 'EXTERNAL',
    offered: (socket) => peerCertificate(socket) !== undefined,
    login(_response, socket) {
      const cert = peerCertificate(socket);
      if (!cert) return { refused: 'no peer certificate' };
      const user = from === 'common_name' ? commonName(cert.subject) : distinguishedName(cert.subject);
      if (user === undefined) return { refused: 'no common name in the peer certificate' };
      // rabbit_auth_backend_internal's passwordless login: the user must exist, nothing else is checked.
      return broker.user(user) ? { user } : { refused: `user '${user}' - invalid credentials`, tried: user };
    },
  };
}

/**
 * Node's X509Certificate.subject: one "TYPE=value" per line in the certificate's order (C first, CN last),
 * values already escaped as RFC 4514 wants (",", "+", "\"", "\\", "<", ">", ";" and edge spaces or "#").
 */
function rdns(subject: string): Array<[string, string]> {
  return subject.split('\n').filter((l) => l !== '').map((l) => {
    const i = l.indexOf('=');
    return [l.slice(0, i), l.slice(i + 1)];
  });
}

/** As rabbit_ssl with ssl_cert_login_from = common_name: the (last) CN, unescaped. */
export function commonName(subject: string): string | undefined {
  return rdns(subject).filter(([k]) => k === 'CN').pop()?.[1].replace(/\\(.)/g, '$1');
}

/**
 * As rabbit_ssl's peer_cert_auth_name with distinguished_name (RabbitMQ 3.10's default): the subject in
 * RFC 4514 form, most specific RDN first: "CN=alice,O=Example\, Inc.,C=GB".
 */
export function distinguishedName(subject: string): string {
  return rdns(subject).reverse().map(([k, v]) => `${k}=${v}`).join(',');
}

/** The mechanisms of auth_mechanisms.N, in order; unknown names are a config error caught earlier. */
export class Sasl {
  private readonly mechanisms: AuthMechanism[];

  constructor(broker: Broker, names: readonly string[] = ['PLAIN', 'AMQPLAIN'], certLoginFrom: CertLoginFrom = 'distinguished_name') {
    const all: Record<string, () => AuthMechanism> = {
      PLAIN: () => plainMechanism(broker),
      AMQPLAIN: () => amqplainMechanism(broker),
      EXTERNAL: () => externalMechanism(broker, certLoginFrom),
    };
    this.mechanisms = names.map((n) => all[n]!());
  }

  /** connection.start's mechanisms: space-separated, as RabbitMQ lists them. */
  offered(socket: Socket): string {
    return this.mechanisms.filter((m) => m.offered(socket)).map((m) => m.name).join(' ');
  }

  /** Logs in with a mechanism; one that is not offered on this socket is unknown, as in rabbit_reader. */
  login(mechanism: string, response: string, socket: Socket): LoginOutcome {
    const m = this.mechanisms.find((x) => x.name === mechanism && x.offered(socket));
    if (!m) throw new ConnectionError(ReplyCode.CommandInvalid, `unknown authentication mechanism '${mechanism}'`);
    return m.login(response, socket);
  }
}

export const AUTH_MECHANISMS = ['PLAIN', 'AMQPLAIN', 'EXTERNAL'] as const;
