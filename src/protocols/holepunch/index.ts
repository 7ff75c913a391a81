export { IceAgent, type AgentRole, type AgentState } from './agent.js'
export { DEFAULT_AGENT_CONFIG, type AgentConfig } from './config.js'
export type { AgentEvent, AgentOutput, ConnectionReport } from './events.js'
export {
  candidatePriority,
  pairPriority,
  isRelayedPair,
  makeCandidate,
  type Candidate,
  type CandidateBase,
  type CandidateType,
} from './candidate.js'
export {
  encodeSignal,
  SIGNAL_BYTES_MAX,
  decodeSignal,
  type SessionDescription,
  type SignalMessage,
  type RemoteCandidate,
} from './description.js'
export {
  encodeRelay,
  decodeRelay,
  isRelayMessage,
  RelayRefusal,
  type RelayMessage,
} from './relay-codec.js'
export {
  RelayServer,
  type RelayServerOptions,
  type RelayServerOutput,
  type RelayServerStats,
} from './relay-server.js'
export type { SignalChannel } from './signal.js'
export { directPossible, NAT_KINDS, type NatKind } from './nat-pairs.js'
