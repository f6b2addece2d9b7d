// TLS for the AMQPS listener and the management API's HTTPS: rabbitmq.conf's ssl_options (cacertfile, certfile,
// keyfile, password, verify, fail_if_no_peer_cert, versions) turned into node:tls options. As in Erlang's ssl:
// verify_peer asks for a client certificate and refuses one that does not verify; a client without one is
// refused only with fail_if_no_peer_cert = true. Handshake failures are logged and end that socket alone.
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { createServer, TLSSocket, type SecureVersion, type Server as TlsServer, type TlsOptions } from 'node:tls';
import { distinguishedName } from './sasl.js';

export interface SslOptions {
  cacertfile?: string;
  certfile?: string;
  keyfile?: string;
  password?: string;
  verify?: 'verify_peer' | 'verify_none';
  failIfNoPeerCert?: boolean;
  /** ssl_options.versions.N: tlsv1.3, tlsv1.2, tlsv1.1, tlsv1. */
  versions?: string[];
}

/** A problem with the files or values of ssl_options; warren-server reports it as a config error. */
export class TlsConfigError extends Error {}

const VERSIONS: Record<string, SecureVersion> = { 'tlsv1': 'TLSv1', 'tlsv1.1': 'TLSv1.1', 'tlsv1.2': 'TLSv1.2', 'tlsv1.3': 'TLSv1.3' };
const ORDER: SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

function read(what: string, path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try { return readFileSync(path); } catch (e) {
    throw new TlsConfigError(`${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** node:tls server options for ssl_options (files read now, so a bad path fails at start-up). */
export function tlsServerOptions(o: SslOptions, prefix = 'ssl_options'): TlsOptions {
  if (!o.certfile || !o.keyfile) throw new TlsConfigError(`${prefix}.certfile and ${prefix}.keyfile are required for a TLS listener`);
  const verify = o.verify === 'verify_peer';
  const opts: TlsOptions = {
    ca: read(`${prefix}.cacertfile`, o.cacertfile),
    cert: read(`${prefix}.certfile`, o.certfile),
    key: read(`${prefix}.keyfile`, o.keyfile),
    passphrase: o.password,
    requestCert: verify,
    // Node's rejectUnauthorized refuses a missing certificate too; a bad one presented is refused after the
    // handshake (acceptTlsSocket) when fail_if_no_peer_cert is false.
    rejectUnauthorized: verify && o.failIfNoPeerCert === true,
  };
  if (o.versions?.length) {
    const vs = o.versions.map((v) => VERSIONS[v]!).sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b));
    opts.minVersion = vs[0];
    opts.maxVersion = vs[vs.length - 1];
  }
  try {
    createServer(opts).close(); // key/cert mismatch, wrong passphrase, unreadable PEM: fail now, not per client
  } catch (e) {
    throw new TlsConfigError(`${prefix}: ${(e as Error).message}`);
  }
  return opts;
}

/**
 * A TLS server handing each verified socket to onSocket. Refusals (handshake errors, a plain-TCP client,
 * an unverifiable certificate with fail_if_no_peer_cert = false) are logged at warning and never thrown.
 */
export function createTlsServer(opts: TlsOptions, onSocket: (s: Socket) => void, log: (msg: string) => void): TlsServer {
  const srv = createServer({ ...opts, noDelay: true } as TlsOptions);
  srv.on('secureConnection', (s: TLSSocket) => {
    if (opts.requestCert && !s.authorized && s.getPeerX509Certificate() !== undefined) {
      log(`TLS client ${s.remoteAddress}:${s.remotePort} refused: ${s.authorizationError}`);
      s.destroy();
      return;
    }
    onSocket(s);
  });
  srv.on('tlsClientError', (e: Error & { code?: string }, s: TLSSocket) => {
    log(`TLS handshake with ${s.remoteAddress}:${s.remotePort} failed: ${e.code ?? e.message}`);
    s.destroy();
  });
  return srv;
}

/**
 * The TLS fields of a connection in the management API (ssl, ssl_protocol, ssl_cipher, peer_cert_*), as
 * RabbitMQ fills them; null where it has no TLS. Protocol names as Erlang's (tlsv1.3), ciphers as OpenSSL's.
 */
export function tlsConnectionInfo(s: Socket): Record<string, unknown> {
  if (!(s instanceof TLSSocket)) return {};
  const cert = s.getPeerX509Certificate();
  const cipher = s.getCipher();
  const kx = s.getEphemeralKeyInfo();
  return {
    ssl: true, ssl_protocol: s.getProtocol()?.toLowerCase() ?? null, ssl_cipher: cipher?.name ?? null,
    ssl_key_exchange: kx && 'name' in kx ? kx.name ?? null : null, ssl_hash: null,
    peer_cert_subject: cert ? distinguishedName(cert.subject) : null,
    peer_cert_issuer: cert ? distinguishedName(cert.issuer) : null,
    peer_cert_validity: cert ? `${cert.validFrom} - ${cert.validTo}` : null,
  };
}
