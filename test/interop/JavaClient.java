// Interop check: drive the broker with the RabbitMQ Java client (com.rabbitmq.client, Debian's 5.0.0).
//
// Usage: java -cp <classes>:amqp-client.jar:slf4j-api.jar:slf4j-nop.jar JavaClient HOST PORT
//
// Prints one JSON line {"ok":true,"client":"java",...,"checks":[...]} and exits 0 when every check passes;
// otherwise prints {"ok":false,"failed":...,"error":...} and exits 1. Uses names with a random suffix and
// deletes what it declares, so it can share a broker with other tests.
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.DefaultConsumer;
import com.rabbitmq.client.Envelope;
import com.rabbitmq.client.GetResponse;
import com.rabbitmq.client.LongString;
import com.rabbitmq.client.ReturnListener;
import com.rabbitmq.client.ShutdownSignalException;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

public class JavaClient {
    static final List<String> checks = new ArrayList<>();
    static String current = "setup";

    static void check(String name) { current = name; }
    static void passed() { checks.add(current); }

    static void expect(boolean cond, String msg) {
        if (!cond) throw new AssertionError(msg);
    }

    static void expectEq(Object actual, Object expected, String what) {
        if (!deepEquals(actual, expected)) {
            throw new AssertionError(what + ": expected " + show(expected) + ", got " + show(actual));
        }
    }

    /** Equality for AMQP field values: LongString == String, byte[] by content, maps/lists recursively. */
    static boolean deepEquals(Object a, Object b) {
        a = norm(a);
        b = norm(b);
        if (a == null || b == null) return a == b;
        if (a instanceof byte[] && b instanceof byte[]) return Arrays.equals((byte[]) a, (byte[]) b);
        if (a instanceof Map && b instanceof Map) {
            Map<?, ?> ma = (Map<?, ?>) a, mb = (Map<?, ?>) b;
            if (ma.size() != mb.size()) return false;
            for (Map.Entry<?, ?> e : ma.entrySet()) {
                if (!mb.containsKey(e.getKey()) || !deepEquals(e.getValue(), mb.get(e.getKey()))) return false;
            }
            return true;
        }
        if (a instanceof List && b instanceof List) {
            List<?> la = (List<?>) a, lb = (List<?>) b;
            if (la.size() != lb.size()) return false;
            for (int i = 0; i < la.size(); i++) if (!deepEquals(la.get(i), lb.get(i))) return false;
            return true;
        }
        // same Java type required: a header that came back as Long instead of Integer is a wire-type change
        return a.getClass() == b.getClass() && a.equals(b);
    }

    static Object norm(Object v) {
        return v instanceof LongString ? v.toString() : v;
    }

    static String show(Object v) {
        v = norm(v);
        if (v == null) return "null";
        if (v instanceof byte[]) return "bytes" + Arrays.toString((byte[]) v);
        if (v instanceof Map) {
            StringBuilder sb = new StringBuilder("{");
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                sb.append(e.getKey()).append('=').append(show(e.getValue())).append(", ");
            }
            return sb.append('}').toString();
        }
        if (v instanceof List) {
            StringBuilder sb = new StringBuilder("[");
            for (Object o : (List<?>) v) sb.append(show(o)).append(", ");
            return sb.append(']').toString();
        }
        return v.getClass().getSimpleName() + "(" + v + ")";
    }

    static Map<String, Object> propsMap(AMQP.BasicProperties p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("contentType", p.getContentType());
        m.put("contentEncoding", p.getContentEncoding());
        m.put("headers", p.getHeaders());
        m.put("deliveryMode", p.getDeliveryMode());
        m.put("priority", p.getPriority());
        m.put("correlationId", p.getCorrelationId());
        m.put("replyTo", p.getReplyTo());
        m.put("expiration", p.getExpiration());
        m.put("messageId", p.getMessageId());
        m.put("timestamp", p.getTimestamp());
        m.put("type", p.getType());
        m.put("userId", p.getUserId());
        m.put("appId", p.getAppId());
        return m;
    }

    /** The ShutdownSignalException behind a failed synchronous channel call. */
    static ShutdownSignalException shutdownCause(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof ShutdownSignalException) return (ShutdownSignalException) c;
        }
        return null;
    }

    static int replyCode(ShutdownSignalException sse) {
        Object reason = sse.getReason();
        if (reason instanceof AMQP.Channel.Close) return ((AMQP.Channel.Close) reason).getReplyCode();
        if (reason instanceof AMQP.Connection.Close) return ((AMQP.Connection.Close) reason).getReplyCode();
        return -1;
    }

    static final class Delivery {
        final String consumerTag;
        final Envelope envelope;
        final AMQP.BasicProperties props;
        final byte[] body;
        Delivery(String consumerTag, Envelope envelope, AMQP.BasicProperties props, byte[] body) {
            this.consumerTag = consumerTag; this.envelope = envelope; this.props = props; this.body = body;
        }
    }

    static final class Returned {
        final int replyCode;
        final String replyText, exchange, routingKey;
        final byte[] body;
        Returned(int replyCode, String replyText, String exchange, String routingKey, byte[] body) {
            this.replyCode = replyCode; this.replyText = replyText; this.exchange = exchange;
            this.routingKey = routingKey; this.body = body;
        }
    }

    /** basicGet (auto-ack) repeatedly until a message arrives or ms pass. */
    static GetResponse pollGet(Channel ch, String queue, long ms) throws Exception {
        long deadline = System.nanoTime() + ms * 1_000_000L;
        while (true) {
            GetResponse r = ch.basicGet(queue, true);
            if (r != null || System.nanoTime() > deadline) return r;
            Thread.sleep(20);
        }
    }

    static byte[] utf8(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    static void run(String host, int port, Map<String, Object> info) throws Exception {
        String sfx = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        String ex = "interop.java.topic." + sfx;
        String ex2 = "interop.java.direct." + sfx;
        String q = "interop.java.q." + sfx;
        String q2 = "interop.java.q2." + sfx;

        ConnectionFactory cf = new ConnectionFactory();
        cf.setHost(host);
        cf.setPort(port);
        cf.setUsername("guest");
        cf.setPassword("guest");
        cf.setVirtualHost("/");
        cf.setConnectionTimeout(5000);
        cf.setHandshakeTimeout(5000);
        cf.setRequestedHeartbeat(30);
        cf.setAutomaticRecoveryEnabled(false);
        cf.setTopologyRecoveryEnabled(false);

        check("connect");
        Connection conn = cf.newConnection("warren-interop-java");
        expect(conn.isOpen(), "connection not open");
        Map<String, Object> serverProps = conn.getServerProperties();
        info.put("server_product", String.valueOf(norm(serverProps.get("product"))));
        info.put("server_version", String.valueOf(norm(serverProps.get("version"))));
        @SuppressWarnings("unchecked")
        Map<String, Object> caps = (Map<String, Object>) serverProps.get("capabilities");
        expect(caps != null, "no capabilities in server properties");
        for (String cap : new String[] {"publisher_confirms", "basic.nack", "exchange_exchange_bindings",
                "consumer_cancel_notify", "per_consumer_qos"}) {
            expect(Boolean.TRUE.equals(caps.get(cap)), "capability " + cap + " not advertised: " + show(caps));
        }
        expect(conn.getFrameMax() > 0, "frame_max should be negotiated");
        passed();

        Channel ch = conn.createChannel();
        try {
            check("exchangeDeclare durable topic + queueDeclare with arguments + queueBind");
            ch.exchangeDeclare(ex, "topic", true, false, null);
            ch.exchangeDeclarePassive(ex);
            Map<String, Object> qargs = new HashMap<>();
            qargs.put("x-max-priority", 10);
            qargs.put("x-message-ttl", 600000);
            AMQP.Queue.DeclareOk dok = ch.queueDeclare(q, true, false, false, qargs);
            expectEq(dok.getQueue(), q, "declare-ok queue");
            expectEq(dok.getMessageCount(), 0, "declare-ok message count");
            expectEq(dok.getConsumerCount(), 0, "declare-ok consumer count");
            ch.queueBind(q, ex, "java.#");
            passed();

            check("confirmSelect + ReturnListener");
            ch.confirmSelect();
            BlockingQueue<Returned> returns = new LinkedBlockingQueue<>();
            ch.addReturnListener(new ReturnListener() {
                @Override
                public void handleReturn(int replyCode, String replyText, String exchange, String routingKey,
                                         AMQP.BasicProperties properties, byte[] body) {
                    returns.add(new Returned(replyCode, replyText, exchange, routingKey, body));
                }
            });
            passed();

            check("properties round trip via basicGet");
            Map<String, Object> headers = new LinkedHashMap<>();
            headers.put("string", "héllo wörld");
            headers.put("int", 42);
            headers.put("negInt", -123456);
            headers.put("long", 1L << 40);
            headers.put("negLong", -(1L << 40));
            headers.put("short", (short) -300);
            headers.put("byte", (byte) -5);
            headers.put("boolTrue", true);
            headers.put("boolFalse", false);
            headers.put("double", 3.141592653589793);
            headers.put("float", 1.5f);
            headers.put("decimal", new BigDecimal("-12.345"));
            headers.put("timestamp", new Date(1700000000000L));
            headers.put("bytes", new byte[] {0, 1, (byte) 0xfe, (byte) 0xff});
            headers.put("list", Arrays.asList(1, "two", true, Arrays.asList(3L)));
            Map<String, Object> nested = new LinkedHashMap<>();
            nested.put("k", "v");
            nested.put("n", 7);
            headers.put("table", nested);
            headers.put("void", null);
            AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                    .contentType("application/octet-stream").contentEncoding("identity")
                    .headers(headers).deliveryMode(2).priority(3)
                    .correlationId("corr-" + sfx).replyTo("reply-" + sfx).expiration("600000")
                    .messageId("msg-" + sfx).timestamp(new Date(1700000001000L)).type("interop")
                    .userId("guest").appId("java-interop").build();
            byte[] body = new byte[300000]; // larger than frame_max (128 KiB on RabbitMQ): several body frames
            for (int i = 0; i < body.length; i++) body[i] = (byte) (i * 31);
            ch.basicPublish(ex, "java.props", true, props, body);
            ch.waitForConfirmsOrDie(5000);
            GetResponse gr = ch.basicGet(q, false);
            expect(gr != null, "basicGet returned null");
            expectEq(gr.getBody(), body, "body");
            expectEq(gr.getEnvelope().getExchange(), ex, "get-ok exchange");
            expectEq(gr.getEnvelope().getRoutingKey(), "java.props", "get-ok routing key");
            expectEq(gr.getEnvelope().isRedeliver(), false, "get-ok redelivered");
            expectEq(gr.getMessageCount(), 0, "get-ok message count");
            expectEq(propsMap(gr.getProps()), propsMap(props), "properties via basicGet");
            ch.basicAck(gr.getEnvelope().getDeliveryTag(), false);
            passed();

            check("properties round trip via basicConsume (DefaultConsumer)");
            BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
            CountDownLatch cancelOk = new CountDownLatch(1);
            String ctag = ch.basicConsume(q, false, "jtag-" + sfx, new DefaultConsumer(ch) {
                @Override
                public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties p, byte[] b)
                        throws IOException {
                    deliveries.add(new Delivery(consumerTag, envelope, p, b));
                    getChannel().basicAck(envelope.getDeliveryTag(), false);
                }
                @Override
                public void handleCancelOk(String consumerTag) { cancelOk.countDown(); }
            });
            expectEq(ctag, "jtag-" + sfx, "consumer tag");
            ch.basicPublish(ex, "java.props", props, body);
            ch.waitForConfirmsOrDie(5000);
            Delivery d = deliveries.poll(5, TimeUnit.SECONDS);
            expect(d != null, "no delivery via basicConsume");
            expectEq(d.consumerTag, ctag, "deliver consumer tag");
            expectEq(d.envelope.getExchange(), ex, "deliver exchange");
            expectEq(d.envelope.getRoutingKey(), "java.props", "deliver routing key");
            expectEq(d.body, body, "consumed body");
            expectEq(propsMap(d.props), propsMap(props), "properties via basicConsume");
            ch.basicCancel(ctag);
            expect(cancelOk.await(5, TimeUnit.SECONDS), "no cancel-ok");
            passed();

            check("mandatory unroutable -> ReturnListener");
            ch.basicPublish(ex, "nowhere.at.all", true, null, utf8("lost"));
            ch.waitForConfirmsOrDie(5000); // basic.return arrives before the ack
            Returned r = returns.poll(5, TimeUnit.SECONDS);
            expect(r != null, "no basic.return");
            expectEq(r.replyCode, 312, "return reply code");
            expectEq(r.replyText, "NO_ROUTE", "return reply text");
            expectEq(r.exchange, ex, "return exchange");
            expectEq(r.routingKey, "nowhere.at.all", "return routing key");
            expectEq(r.body, utf8("lost"), "returned body");
            passed();

            check("basicQos + nack/requeue");
            ch.basicQos(1);
            BlockingQueue<Delivery> qd = new LinkedBlockingQueue<>();
            String qtag = ch.basicConsume(q, false, new DefaultConsumer(ch) {
                @Override
                public void handleDelivery(String consumerTag, Envelope envelope, AMQP.BasicProperties p, byte[] b) {
                    qd.add(new Delivery(consumerTag, envelope, p, b));
                }
            });
            for (int i = 0; i < 3; i++) ch.basicPublish(ex, "java.qos", null, utf8("m" + i));
            ch.waitForConfirmsOrDie(5000);
            Delivery first = qd.poll(5, TimeUnit.SECONDS);
            expect(first != null, "qos: no delivery");
            expectEq(new String(first.body, StandardCharsets.UTF_8), "m0", "qos first body");
            expect(qd.poll(300, TimeUnit.MILLISECONDS) == null, "prefetch 1 exceeded");
            ch.basicNack(first.envelope.getDeliveryTag(), false, true);
            Delivery again = qd.poll(5, TimeUnit.SECONDS);
            expect(again != null, "no redelivery after nack/requeue");
            expectEq(new String(again.body, StandardCharsets.UTF_8), "m0", "requeued message goes back to head");
            expectEq(again.envelope.isRedeliver(), true, "redeliver flag");
            ch.basicAck(again.envelope.getDeliveryTag(), false);
            for (int i = 1; i < 3; i++) {
                Delivery n = qd.poll(5, TimeUnit.SECONDS);
                expect(n != null, "qos: missing m" + i);
                expectEq(new String(n.body, StandardCharsets.UTF_8), "m" + i, "qos order");
                ch.basicAck(n.envelope.getDeliveryTag(), false);
            }
            ch.basicCancel(qtag);
            ch.basicQos(0);
            passed();

            check("passive declare of missing queue -> ShutdownSignalException 404");
            Channel bad = conn.createChannel();
            try {
                bad.queueDeclarePassive("interop.java.missing." + sfx);
                throw new AssertionError("passive declare of a missing queue succeeded");
            } catch (IOException e) {
                ShutdownSignalException sse = shutdownCause(e);
                expect(sse != null, "IOException without ShutdownSignalException cause: " + e);
                expectEq(replyCode(sse), 404, "channel.close reply code");
                expect(!sse.isHardError(), "should be a channel (soft) error");
            }
            expect(!bad.isOpen(), "failed channel should be closed");
            expect(conn.isOpen(), "connection should survive a channel error");
            Channel fresh = conn.createChannel();
            expectEq(fresh.queueDeclarePassive(q).getQueue(), q, "passive declare on new channel");
            fresh.close();
            passed();

            check("exchangeBind");
            ch.exchangeDeclare(ex2, "direct", false, false, null);
            ch.exchangeBind(ex2, ex, "e2e.*");
            ch.queueDeclare(q2, false, true, false, null);
            ch.queueBind(q2, ex2, "e2e.hop");
            ch.basicPublish(ex, "e2e.hop", true, null, utf8("via-e2e"));
            ch.waitForConfirmsOrDie(5000);
            GetResponse eg = ch.basicGet(q2, true);
            expect(eg != null, "message did not cross exchange-to-exchange binding");
            expectEq(eg.getBody(), utf8("via-e2e"), "e2e body");
            expect(returns.isEmpty(), "unexpected basic.return");
            ch.exchangeUnbind(ex2, ex, "e2e.*");
            passed();

            check("server-named queue");
            AMQP.Queue.DeclareOk snq = ch.queueDeclare();
            String sname = snq.getQueue();
            expect(sname.startsWith("amq.gen-"), "server-named queue name: " + sname);
            ch.basicPublish("", sname, true, null, utf8("to-generated"));
            ch.waitForConfirmsOrDie(5000);
            GetResponse sg = ch.basicGet(sname, true);
            expect(sg != null, "nothing in server-named queue");
            expectEq(sg.getEnvelope().getExchange(), "", "default exchange name");
            expectEq(sg.getEnvelope().getRoutingKey(), sname, "routing key");
            info.put("server_named_queue", sname);
            passed();

            check("txSelect/txCommit/txRollback");
            Channel tx = conn.createChannel();
            tx.txSelect();
            tx.basicPublish("", sname, null, utf8("tx-1"));
            expect(ch.basicGet(sname, true) == null, "uncommitted publish visible");
            tx.txCommit();
            GetResponse tg = ch.basicGet(sname, true);
            expect(tg != null, "committed publish missing");
            expectEq(tg.getBody(), utf8("tx-1"), "committed body");
            tx.basicPublish("", sname, null, utf8("tx-2"));
            tx.txRollback();
            expect(ch.basicGet(sname, true) == null, "rolled-back publish visible");
            // an ack inside a rolled-back transaction is discarded: the message stays unacked and goes back
            // to the queue when the channel closes
            ch.basicPublish("", sname, null, utf8("tx-3"));
            ch.waitForConfirmsOrDie(5000);
            GetResponse tg3 = tx.basicGet(sname, false);
            expect(tg3 != null, "tx-3 missing");
            tx.basicAck(tg3.getEnvelope().getDeliveryTag(), false);
            tx.txRollback();
            tx.close();
            GetResponse back = pollGet(ch, sname, 3000);
            expect(back != null, "message acked in a rolled-back tx was not requeued on channel close");
            expectEq(back.getBody(), utf8("tx-3"), "requeued tx-3 body");
            expectEq(back.getEnvelope().isRedeliver(), true, "requeued tx-3 redeliver flag");
            // an ack inside a committed transaction sticks
            ch.basicPublish("", sname, null, utf8("tx-4"));
            ch.waitForConfirmsOrDie(5000);
            Channel tx2 = conn.createChannel();
            tx2.txSelect();
            GetResponse tg4 = tx2.basicGet(sname, false);
            expect(tg4 != null, "tx-4 missing");
            tx2.basicAck(tg4.getEnvelope().getDeliveryTag(), false);
            tx2.txCommit();
            tx2.close();
            expect(pollGet(ch, sname, 200) == null, "message acked in a committed tx came back");
            passed();

            check("consumer cancel notification on queue delete");
            CountDownLatch cancelled = new CountDownLatch(1);
            ch.basicConsume(sname, true, new DefaultConsumer(ch) {
                @Override
                public void handleCancel(String consumerTag) { cancelled.countDown(); }
            });
            Channel other = conn.createChannel();
            other.queueDelete(sname);
            expect(cancelled.await(5, TimeUnit.SECONDS), "no basic.cancel from broker after queue delete");
            other.close();
            passed();

            check("queuePurge/queueDelete/exchangeDelete");
            for (int i = 0; i < 3; i++) ch.basicPublish(ex, "java.purge", null, utf8("p"));
            ch.waitForConfirmsOrDie(5000);
            expectEq(ch.queuePurge(q).getMessageCount(), 3, "purge-ok message count");
            expectEq(ch.queueDelete(q).getMessageCount(), 0, "delete-ok message count");
            ch.queueDelete(q2);
            ch.exchangeDelete(ex2);
            ch.exchangeDelete(ex);
            passed();

            check("clean close");
            ch.close();
            expect(!ch.isOpen(), "channel still open");
            conn.close(5000);
            expect(!conn.isOpen(), "connection still open");
            passed();
        } finally {
            if (conn.isOpen()) {
                try {
                    Channel c = conn.createChannel();
                    c.queueDelete(q);
                    c.queueDelete(q2);
                    c.exchangeDelete(ex2);
                    c.exchangeDelete(ex);
                } catch (Exception ignored) {
                    // best effort
                }
                try { conn.abort(2000); } catch (Exception ignored) { }
            }
        }
    }

    static String json(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    static String checksJson() {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < checks.size(); i++) sb.append(i > 0 ? "," : "").append(json(checks.get(i)));
        return sb.append(']').toString();
    }

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: JavaClient HOST PORT");
            System.exit(2);
        }
        long t0 = System.nanoTime();
        Map<String, Object> info = new LinkedHashMap<>();
        int rc = 0;
        try {
            run(args[0], Integer.parseInt(args[1]), info);
            StringBuilder sb = new StringBuilder("{\"ok\":true,\"client\":\"java\"");
            sb.append(",\"version\":").append(json(String.valueOf(
                    Objects.requireNonNullElse(ConnectionFactory.class.getPackage().getImplementationVersion(), "?"))));
            for (Map.Entry<String, Object> e : info.entrySet()) {
                sb.append(',').append(json(e.getKey())).append(':').append(json(String.valueOf(e.getValue())));
            }
            sb.append(",\"checks\":").append(checksJson());
            sb.append(",\"ms\":").append((System.nanoTime() - t0) / 1_000_000).append('}');
            System.out.println(sb);
        } catch (Throwable t) {
            t.printStackTrace();
            System.out.println("{\"ok\":false,\"client\":\"java\",\"failed\":" + json(current)
                    + ",\"checks\":" + checksJson() + ",\"error\":" + json(t.toString()) + "}");
            rc = 1;
        }
        System.out.flush();
        // the client's threads are non-daemon only while a connection is open, but don't rely on it
        System.exit(rc);
    }
}
