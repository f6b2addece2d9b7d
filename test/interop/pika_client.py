#!/usr/bin/env python3
"""Interop check: drive the broker with Python pika (BlockingConnection).

Usage: pika_client.py HOST PORT

Prints one JSON line {"ok": true, "client": "pika", "checks": [...]} and exits 0 when every check
passes; otherwise prints {"ok": false, "failed": ..., "error": ...} and exits 1.
Uses names with a random suffix and deletes what it declares, so it can share a broker.
"""
import datetime
import decimal
import json
import sys
import time
import traceback
import uuid

try:
    import pika
    import pika.exceptions
except ImportError as e:  # the test runner checks for pika first; keep a clear message anyway
    print(json.dumps({"ok": False, "client": "pika", "error": "cannot import pika: %s" % e}))
    sys.exit(2)

CHECKS = []
current = "setup"


def check(name):
    global current
    current = name


def passed():
    CHECKS.append(current)


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)


def expect_eq(actual, expected, what):
    if actual != expected:
        raise AssertionError("%s: expected %r, got %r" % (what, expected, actual))


def props_dict(p):
    return {
        "content_type": p.content_type,
        "content_encoding": p.content_encoding,
        "headers": p.headers,
        "delivery_mode": p.delivery_mode,
        "priority": p.priority,
        "correlation_id": p.correlation_id,
        "reply_to": p.reply_to,
        "expiration": p.expiration,
        "message_id": p.message_id,
        "timestamp": p.timestamp,
        "type": p.type,
        "user_id": p.user_id,
        "app_id": p.app_id,
    }


def drain(connection, until, timeout=3.0):
    """Run the I/O loop until until() is true or timeout seconds pass."""
    deadline = time.monotonic() + timeout
    while not until():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        connection.process_data_events(time_limit=min(left, 0.05))
    return True


def run(host, port):
    sfx = uuid.uuid4().hex[:10]
    ex = "interop.pika.topic." + sfx
    ex2 = "interop.pika.fanout." + sfx
    q = "interop.pika.q." + sfx
    q2 = "interop.pika.q2." + sfx
    qttl = "interop.pika.ttl." + sfx

    params = pika.ConnectionParameters(
        host=host, port=int(port), virtual_host="/",
        credentials=pika.PlainCredentials("guest", "guest"),
        connection_attempts=1, socket_timeout=5, blocked_connection_timeout=5,
        stack_timeout=10, heartbeat=30,
        client_properties={"connection_name": "warren-interop-pika"})

    check("connect")
    conn = pika.BlockingConnection(params)
    expect(conn.is_open, "connection not open")
    server_props = conn._impl.server_properties  # noqa: SLF001 - informative only
    caps = server_props.get("capabilities", {})
    for cap in ("publisher_confirms", "basic.nack", "exchange_exchange_bindings", "consumer_cancel_notify"):
        expect(caps.get(cap) is True, "server capability %s not advertised: %r" % (cap, caps))
    ch = conn.channel()
    passed()

    try:
        check("exchange_declare durable topic")
        ok = ch.exchange_declare(exchange=ex, exchange_type="topic", durable=True, auto_delete=False)
        expect_eq(ok.method.NAME, "Exchange.DeclareOk", "exchange.declare reply")
        # redeclare with same args is fine; passive declare of it works
        ch.exchange_declare(exchange=ex, exchange_type="topic", durable=True)
        ch.exchange_declare(exchange=ex, passive=True)
        passed()

        check("queue_declare with arguments")
        args = {"x-max-priority": 10, "x-message-ttl": 600000}
        ok = ch.queue_declare(queue=q, durable=True, arguments=args)
        expect_eq(ok.method.queue, q, "declare-ok queue name")
        expect_eq(ok.method.message_count, 0, "declare-ok message_count")
        expect_eq(ok.method.consumer_count, 0, "declare-ok consumer_count")
        ok = ch.queue_declare(queue=q, durable=True, arguments=args)  # equivalent redeclare
        expect_eq(ok.method.queue, q, "redeclare queue name")
        passed()

        check("queue_bind")
        ch.queue_bind(queue=q, exchange=ex, routing_key="interop.#")
        passed()

        check("confirm_delivery")
        ch.confirm_delivery()
        passed()

        check("properties round trip via basic_get")
        headers = {
            "str": "héllo wörld",
            "int": 42,
            "neg": -7,
            "big": 2 ** 40,
            "bool_t": True,
            "bool_f": False,
            "decimal": decimal.Decimal("3.14"),
            "ts": datetime.datetime(2024, 1, 2, 3, 4, 5),
            "bytes": b"\x00\x01\xfe\xff",
            "list": [1, "two", True, [3]],
            "table": {"nested": "yes", "n": 1, "deeper": {"x": "y"}},
            "void": None,
            "empty": "",
        }
        props = pika.BasicProperties(
            content_type="application/json", content_encoding="utf-8", headers=headers,
            delivery_mode=2, priority=7, correlation_id="corr-" + sfx, reply_to="reply-" + sfx,
            expiration="600000", message_id="msg-" + sfx, timestamp=1700000000, type="interop.test",
            user_id="guest", app_id="pika-interop")
        body = json.dumps({"hello": "world", "sfx": sfx}).encode() + b"\x00\xff binary tail"
        ch.basic_publish(exchange=ex, routing_key="interop.props", body=body, properties=props, mandatory=True)
        method, got_props, got_body = ch.basic_get(queue=q, auto_ack=False)
        expect(method is not None, "basic_get returned nothing")
        expect_eq(got_body, body, "body")
        expect_eq(method.exchange, ex, "get-ok exchange")
        expect_eq(method.routing_key, "interop.props", "get-ok routing_key")
        expect_eq(method.redelivered, False, "get-ok redelivered")
        expect_eq(method.message_count, 0, "get-ok message_count")
        expect_eq(props_dict(got_props), props_dict(props), "properties via basic_get")
        ch.basic_ack(method.delivery_tag)
        passed()

        check("properties round trip via basic_consume")
        ch.basic_publish(exchange=ex, routing_key="interop.props", body=body, properties=props)
        got = []

        def on_msg(chan, deliver, p, b):
            got.append((deliver, p, b))
            chan.basic_ack(deliver.delivery_tag)

        tag = ch.basic_consume(queue=q, on_message_callback=on_msg, auto_ack=False, consumer_tag="ctag-" + sfx)
        expect_eq(tag, "ctag-" + sfx, "consumer tag")
        expect(drain(conn, lambda: len(got) >= 1), "no delivery via basic_consume")
        deliver, p, b = got[0]
        expect_eq(b, body, "consumed body")
        expect_eq(deliver.consumer_tag, "ctag-" + sfx, "deliver consumer_tag")
        expect_eq(deliver.exchange, ex, "deliver exchange")
        expect_eq(deliver.routing_key, "interop.props", "deliver routing_key")
        expect_eq(props_dict(p), props_dict(props), "properties via basic_consume")
        ch.basic_cancel(tag)
        passed()

        check("empty body and large body")
        ch.basic_publish(exchange=ex, routing_key="interop.empty", body=b"")
        big = bytes(range(256)) * 2048  # 512 KiB, spans many frames
        ch.basic_publish(exchange=ex, routing_key="interop.big", body=big)
        m1, _, b1 = ch.basic_get(queue=q, auto_ack=True)
        m2, _, b2 = ch.basic_get(queue=q, auto_ack=True)
        expect(m1 is not None and m2 is not None, "messages missing")
        expect_eq(b1, b"", "empty body")
        expect(b2 == big, "large body differs (len %d vs %d)" % (len(b2), len(big)))
        passed()

        check("priority ordering (x-max-priority)")
        for prio in (1, 9, 5):
            ch.basic_publish(exchange=ex, routing_key="interop.prio", body=("p%d" % prio).encode(),
                             properties=pika.BasicProperties(priority=prio))
        order = []
        for _ in range(3):
            m, _, b = ch.basic_get(queue=q, auto_ack=True)
            expect(m is not None, "priority message missing")
            order.append(b.decode())
        expect_eq(order, ["p9", "p5", "p1"], "priority order")
        passed()

        check("mandatory unroutable raises UnroutableError")
        try:
            ch.basic_publish(exchange=ex, routing_key="nowhere.at.all", body=b"lost", mandatory=True)
            raise AssertionError("UnroutableError not raised")
        except pika.exceptions.UnroutableError as e:
            expect_eq(len(e.messages), 1, "returned messages")
            rm = e.messages[0]
            expect_eq(rm.method.reply_code, 312, "basic.return reply_code")
            expect_eq(rm.method.reply_text, "NO_ROUTE", "basic.return reply_text")
            expect_eq(rm.method.exchange, ex, "basic.return exchange")
            expect_eq(rm.method.routing_key, "nowhere.at.all", "basic.return routing_key")
            expect_eq(rm.body, b"lost", "returned body")
        # non-mandatory unroutable publish is silently dropped (and confirmed)
        ch.basic_publish(exchange=ex, routing_key="nowhere.at.all", body=b"dropped")
        passed()

        check("nack with requeue")
        ch.basic_publish(exchange=ex, routing_key="interop.nack", body=b"nack-me")
        m, _, b = ch.basic_get(queue=q)
        expect(m is not None and not m.redelivered, "first get")
        ch.basic_nack(m.delivery_tag, requeue=True)
        m, _, b = ch.basic_get(queue=q)
        expect(m is not None, "requeued message missing")
        expect_eq(m.redelivered, True, "redelivered after nack/requeue")
        expect_eq(b, b"nack-me", "requeued body")
        ch.basic_reject(m.delivery_tag, requeue=True)
        m, _, b = ch.basic_get(queue=q)
        expect(m is not None and m.redelivered, "requeued after reject")
        ch.basic_nack(m.delivery_tag, requeue=False)  # dropped (no DLX)
        m, _, _ = ch.basic_get(queue=q)
        expect(m is None, "queue should be empty after nack without requeue")
        passed()

        check("basic_qos prefetch")
        ch.basic_qos(prefetch_count=2)
        for i in range(5):
            ch.basic_publish(exchange=ex, routing_key="interop.qos", body=("q%d" % i).encode())
        pending = []
        tag = ch.basic_consume(queue=q, on_message_callback=lambda c, d, p, b: pending.append((d, b)),
                               auto_ack=False)
        expect(drain(conn, lambda: len(pending) >= 2), "qos: fewer than 2 deliveries")
        drain(conn, lambda: len(pending) > 2, timeout=0.3)
        expect_eq(len(pending), 2, "unacked deliveries with prefetch_count=2")
        ch.basic_ack(pending[1][0].delivery_tag, multiple=True)  # ack both
        expect(drain(conn, lambda: len(pending) >= 4), "qos: no further deliveries after ack")
        drain(conn, lambda: len(pending) > 4, timeout=0.3)
        expect_eq(len(pending), 4, "unacked deliveries after acking 2")
        ch.basic_ack(pending[3][0].delivery_tag, multiple=True)
        expect(drain(conn, lambda: len(pending) >= 5), "qos: last delivery")
        ch.basic_ack(pending[4][0].delivery_tag)
        expect_eq([b.decode() for _, b in pending], ["q%d" % i for i in range(5)], "qos delivery order")
        ch.basic_cancel(tag)
        ch.basic_qos(prefetch_count=0)
        passed()

        check("per-message expiration")
        ch.queue_declare(queue=qttl, exclusive=True)
        ch.basic_publish(exchange="", routing_key=qttl, body=b"short-lived",
                         properties=pika.BasicProperties(expiration="1"))
        time.sleep(0.1)
        m, _, _ = ch.basic_get(queue=qttl)
        expect(m is None, "message with expiration=1 should have expired")
        ch.queue_delete(queue=qttl)
        passed()

        check("channel error then new channel")
        ch_bad = conn.channel()
        try:
            ch_bad.queue_declare(queue="interop.pika.missing." + sfx, passive=True)
            raise AssertionError("passive declare of missing queue did not fail")
        except pika.exceptions.ChannelClosedByBroker as e:
            expect_eq(e.reply_code, 404, "channel close reply_code")
            expect(e.reply_text.startswith("NOT_FOUND"), "reply_text %r" % e.reply_text)
        expect(ch_bad.is_closed, "failed channel should be closed")
        expect(conn.is_open, "connection should survive a channel error")
        ch_new = conn.channel()
        ok = ch_new.queue_declare(queue=q, passive=True)
        expect_eq(ok.method.queue, q, "passive declare on new channel")
        ch_new.close()
        # the original channel is unaffected
        ch.basic_publish(exchange=ex, routing_key="interop.after", body=b"still-works")
        m, _, b = ch.basic_get(queue=q, auto_ack=True)
        expect(m is not None and b == b"still-works", "original channel after other channel's error")
        passed()

        check("exchange_bind")
        ch.exchange_declare(exchange=ex2, exchange_type="fanout", auto_delete=False)
        ch.exchange_bind(destination=ex2, source=ex, routing_key="e2e.*")
        ch.queue_declare(queue=q2, exclusive=True)
        ch.queue_bind(queue=q2, exchange=ex2)
        ch.basic_publish(exchange=ex, routing_key="e2e.hop", body=b"via-e2e", mandatory=True)
        m, _, b = ch.basic_get(queue=q2, auto_ack=True)
        expect(m is not None, "message did not cross exchange-to-exchange binding")
        expect_eq(b, b"via-e2e", "e2e body")
        expect_eq(m.exchange, ex, "e2e delivery exchange is the publish exchange")
        ch.exchange_unbind(destination=ex2, source=ex, routing_key="e2e.*")
        try:
            ch.basic_publish(exchange=ex, routing_key="e2e.hop", body=b"x", mandatory=True)
            raise AssertionError("publish should be unroutable after exchange_unbind")
        except pika.exceptions.UnroutableError:
            pass
        passed()

        check("queue_purge and queue_delete")
        for i in range(3):
            ch.basic_publish(exchange=ex, routing_key="interop.purge", body=b"p")
        ok = ch.queue_declare(queue=q, passive=True)
        expect_eq(ok.method.message_count, 3, "message_count before purge")
        ok = ch.queue_purge(queue=q)
        expect_eq(ok.method.message_count, 3, "purge-ok message_count")
        ch.basic_publish(exchange=ex, routing_key="interop.purge", body=b"p")
        ok = ch.queue_delete(queue=q)
        expect_eq(ok.method.message_count, 1, "delete-ok message_count")
        ok = ch.queue_delete(queue=q2)
        expect_eq(ok.method.message_count, 0, "delete-ok message_count q2")
        ch.exchange_delete(exchange=ex2)
        ch.exchange_delete(exchange=ex)
        probe = conn.channel()
        try:
            probe.exchange_declare(exchange=ex, passive=True)
            raise AssertionError("deleted exchange still exists")
        except pika.exceptions.ChannelClosedByBroker as e:
            expect_eq(e.reply_code, 404, "passive declare of deleted exchange")
        passed()

        check("clean close")
        ch.close()
        expect(ch.is_closed, "channel not closed")
        conn.close()
        expect(conn.is_closed, "connection not closed")
        passed()
    finally:
        if conn.is_open:
            try:
                cleanup = conn.channel()
                for name in (q, q2, qttl):
                    cleanup.queue_delete(queue=name)
                for name in (ex2, ex):
                    cleanup.exchange_delete(exchange=name)
            except Exception:  # best effort
                pass
            try:
                conn.close()
            except Exception:
                pass


def main():
    if len(sys.argv) != 3:
        print("usage: pika_client.py HOST PORT", file=sys.stderr)
        sys.exit(2)
    started = time.monotonic()
    try:
        run(sys.argv[1], sys.argv[2])
    except Exception as e:  # noqa: BLE001
        traceback.print_exc(file=sys.stderr)
        print(json.dumps({"ok": False, "client": "pika", "failed": current, "checks": CHECKS,
                          "error": "%s: %s" % (type(e).__name__, str(e) or repr(e.args))}))
        sys.exit(1)
    print(json.dumps({"ok": True, "client": "pika", "version": pika.__version__, "checks": CHECKS,
                      "ms": int((time.monotonic() - started) * 1000)}))


if __name__ == "__main__":
    main()
