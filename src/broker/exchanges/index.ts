// Registers the four built-in exchange types (direct, fanout, topic, headers) with the router registry.
// Import this module for its side effects before declaring exchanges.
import { registerExchangeType } from '../router.js';
import { directExchange } from './direct.js';
import { fanoutExchange } from './fanout.js';
import { topicExchange } from './topic.js';
import { headersExchange } from './headers.js';

registerExchangeType(directExchange);
registerExchangeType(fanoutExchange);
registerExchangeType(topicExchange);
registerExchangeType(headersExchange);

export { directExchange, fanoutExchange, topicExchange, headersExchange };
