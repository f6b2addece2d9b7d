#!/usr/bin/env node
// Fill the topic exchange AmqpBench uses (bench.topic, routing key "bench.msg", binding "bench.#" to queue
// "bench") with extra bindings, so that it holds TOTAL bindings while the generator runs (bench/curves.sh).
//   node bench/topic-bindings.mjs URI TOTAL
// The extras are bound to the same queue "bench", declared here as the generator declares it (transient,
// no arguments), so a message is still delivered once: what grows is only the routing work per message.
// Two of them match "bench.msg" ("*.msg", "bench.*": the broker must deduplicate the queue), the rest do not,
// in five shapes so that no trie shortcut covers them all: a literal first word, a literal second word, "*"
// then a literal, "#" then a literal, a literal then "#". The exchange and queue are deleted first (leftovers
// of an earlier point); the generator deletes both at the end of its run. (garagemq ignores exchange.delete, so
// bench/curves.sh restarts it before each point.) Prints one JSON line:
// {total, extra, seconds}. Binds over CHANNELS (32) channels in parallel, one RPC at a time on each.
import amqp from 'amqplib';

const [uri, totalArg] = process.argv.slice(2);
const total = Number(totalArg);
if (!uri || !Number.isInteger(total) || total < 1) {
  console.error('usage: topic-bindings.mjs URI TOTAL');
  process.exit(1);
}
const EXCHANGE = 'bench.topic', QUEUE = 'bench';
const CHANNELS = Number(process.env.CHANNELS ?? 32);

function key(i) {
  if (i === 0) return '*.msg';
  if (i === 1) return 'bench.*';
  const w = `w${i}`;
  switch (i % 5) {
    case 0: return `${w}.msg`;
    case 1: return `bench.${w}`;
    case 2: return `*.${w}`;
    case 3: return `#.${w}`;
    default: return `${w}.#`;
  }
}

// Each cleanup step on its own channel: garagemq never answers exchange.delete (give up waiting after a while;
// the delete itself happens) and answers queue.delete of a missing queue with 404 (RabbitMQ with delete-ok).
const within = (p, ms) => Promise.race([p, new Promise((resolve) => setTimeout(resolve, ms, 'timeout'))]);
async function attempt(conn, op) {
  const c = await conn.createChannel();
  c.on('error', () => {});
  if ((await within(op(c).then(() => 'ok', () => 'failed'), 3000)) === 'ok') await c.close().catch(() => {});
}

const t0 = process.hrtime.bigint();
const conn = await amqp.connect(uri);
await attempt(conn, (c) => c.deleteExchange(EXCHANGE));
await attempt(conn, (c) => c.deleteQueue(QUEUE));
const ch = await conn.createChannel();
await ch.assertExchange(EXCHANGE, 'topic', { durable: false });
await ch.assertQueue(QUEUE, { durable: false });
const extra = total - 1;   // the generator adds its own "bench.#"
let next = 0;
async function worker() {
  const c = await conn.createChannel();
  for (let i; (i = next++) < extra; ) await c.bindQueue(QUEUE, EXCHANGE, key(i));
  await c.close();
}
await Promise.all(Array.from({ length: Math.min(CHANNELS, Math.max(1, extra)) }, worker));
await conn.close();
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(JSON.stringify({ total, extra, seconds: Math.round(seconds * 100) / 100 }));
