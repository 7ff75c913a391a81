export { TurnServer } from './server.js'
export type { TurnServerEvent, TurnServerOutput, CloseReason } from './server-events.js'
export {
  TurnClient,
  type TurnClientConfig,
  type TurnClientEvent,
  type TurnClientOutput,
  type TurnOperation,
} from './client.js'
export { turnServerConfig, DEFAULT_TURN_LIMITS, type TurnServerConfig } from './config.js'
export { PeerPolicy } from './peer-policy.js'
export {
  encodeChannelData,
  decodeChannelData,
  looksLikeChannelData,
  isChannelNumber,
  CHANNEL_MIN,
  CHANNEL_MAX,
} from './channel-data.js'
export { NonceMinter, type NonceCheck } from './nonces.js'
