/**
 * `pulse-mock/msw`: Pulse's API as msw handlers, for unit tests.
 *
 * @example
 * import { setupServer } from 'msw/node';
 * import { createPulseHandlers } from 'pulse-mock/msw';
 * const server = setupServer(...createPulseHandlers({ apiKey: 'sk_test', processingMs: 50 }));
 */
import './peer.js';

export {
  createPulseHandlers,
  createPulseMsw,
  PULSE_BASE_URLS,
  type PulseHandlersOptions,
  type PulseMsw,
} from './handlers.js';
