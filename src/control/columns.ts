// The info keys each list command accepts and the ones it shows by default, as rabbitmqctl 3.10's. Shared by
// warrenctl (to validate column arguments before contacting the node) and the node (to build the rows).

export interface Columns { all: readonly string[]; defaults: readonly string[] }

export const LIST_COLUMNS: Record<string, Columns> = {
  list_queues: {
    all: ['name', 'durable', 'auto_delete', 'arguments', 'policy', 'pid', 'owner_pid', 'exclusive', 'exclusive_consumer_pid',
      'exclusive_consumer_tag', 'messages_ready', 'messages_unacknowledged', 'messages', 'messages_ready_ram',
      'messages_unacknowledged_ram', 'messages_ram', 'messages_persistent', 'message_bytes', 'message_bytes_ready',
      'message_bytes_unacknowledged', 'message_bytes_ram', 'message_bytes_persistent', 'head_message_timestamp',
      'disk_reads', 'disk_writes', 'consumers', 'consumer_utilisation', 'consumer_capacity', 'memory', 'slave_pids',
      'synchronised_slave_pids', 'state', 'type', 'leader', 'members', 'online'],
    defaults: ['name', 'messages'],
  },
  list_exchanges: {
    all: ['name', 'type', 'durable', 'auto_delete', 'internal', 'arguments', 'policy'],
    defaults: ['name', 'type'],
  },
  list_bindings: {
    all: ['source_name', 'source_kind', 'destination_name', 'destination_kind', 'routing_key', 'arguments'],
    defaults: ['source_name', 'source_kind', 'destination_name', 'destination_kind', 'routing_key', 'arguments'],
  },
  list_connections: {
    all: ['pid', 'name', 'port', 'host', 'peer_port', 'peer_host', 'ssl', 'ssl_protocol', 'ssl_key_exchange', 'ssl_cipher',
      'ssl_hash', 'peer_cert_subject', 'peer_cert_issuer', 'peer_cert_validity', 'state', 'channels', 'protocol',
      'auth_mechanism', 'user', 'vhost', 'timeout', 'frame_max', 'channel_max', 'client_properties', 'recv_oct',
      'recv_cnt', 'send_oct', 'send_cnt', 'send_pend', 'connected_at'],
    defaults: ['user', 'peer_host', 'peer_port', 'state'],
  },
  list_channels: {
    all: ['pid', 'connection', 'name', 'number', 'user', 'vhost', 'transactional', 'confirm', 'consumer_count',
      'messages_unacknowledged', 'messages_uncommitted', 'acks_uncommitted', 'messages_unconfirmed', 'prefetch_count',
      'global_prefetch_count'],
    defaults: ['pid', 'user', 'consumer_count', 'messages_unacknowledged'],
  },
  list_consumers: {
    all: ['queue_name', 'channel_pid', 'consumer_tag', 'ack_required', 'prefetch_count', 'active', 'activity_status', 'arguments'],
    defaults: ['queue_name', 'channel_pid', 'consumer_tag', 'ack_required', 'prefetch_count', 'active', 'arguments'],
  },
  list_vhosts: {
    all: ['name', 'description', 'tags', 'default_queue_type', 'tracing', 'cluster_state'],
    defaults: ['name'],
  },
};

/** The fixed columns of the list commands that take no column arguments. */
export const FIXED_COLUMNS: Record<string, readonly string[]> = {
  list_users: ['user', 'tags'],
  list_permissions: ['user', 'configure', 'write', 'read'],
  list_user_permissions: ['vhost', 'configure', 'write', 'read'],
  list_policies: ['vhost', 'name', 'pattern', 'apply-to', 'definition', 'priority'],
  list_parameters: ['component', 'name', 'value'],
};
