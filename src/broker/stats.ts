// Cumulative message counters with RabbitMQ's message_stats names. Queues, exchanges, channels and the node
// each own one; the management layer samples them to compute rates. Plain fields, bumped on the hot path.
export class MessageStats {
  publish = 0;
  publishIn = 0;
  publishOut = 0;
  confirm = 0;
  deliver = 0;
  deliverNoAck = 0;
  get = 0;
  getNoAck = 0;
  getEmpty = 0;
  redeliver = 0;
  ack = 0;
  returnUnroutable = 0;
  dropUnroutable = 0;

  /** RabbitMQ's JSON field names (deliver_get is the sum RabbitMQ reports as well). */
  toJSON(): Record<string, number> {
    return {
      publish: this.publish, publish_in: this.publishIn, publish_out: this.publishOut, confirm: this.confirm,
      deliver: this.deliver, deliver_no_ack: this.deliverNoAck, get: this.get, get_no_ack: this.getNoAck,
      get_empty: this.getEmpty, deliver_get: this.deliver + this.deliverNoAck + this.get + this.getNoAck,
      redeliver: this.redeliver, ack: this.ack, return_unroutable: this.returnUnroutable, drop_unroutable: this.dropUnroutable,
    };
  }
}
