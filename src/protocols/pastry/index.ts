export {
  PastryNode,
  DEFAULT_PASTRY_CONFIG,
  type PastryConfig,
  type PastryDeps,
  type PastryNodeOptions,
  type PastryStats,
} from './node.js'
export { pastryCodec, encodePastry, decodePastry, PASTRY_LIMITS } from './codec.js'
export type { PastryDecodeError } from './codec.js'
export { pastryMessageName, type PastryMessage, type PastryRef } from './messages.js'
export { PastryState } from './state.js'
export * from './id.js'
