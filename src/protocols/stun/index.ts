export {
  MAGIC_COOKIE,
  HEADER_BYTES,
  TRANSACTION_ID_BYTES,
  FINGERPRINT_XOR,
  StunMethod,
  AttributeType,
  StunErrorCode,
  TRANSPORT_UDP,
  isComprehensionRequired,
  reasonPhrase,
  type StunClass,
} from './constants.js'
export {
  encodeAttribute,
  decodeAttribute,
  USERNAME_BYTES_MAX,
  TEXT_BYTES_MAX,
  type StunAttribute,
  type StunAttributeType,
} from './attributes.js'
export {
  encodeStun,
  decodeStun,
  isStunMessage,
  verifyIntegrity,
  newTransactionId,
  findAttribute,
  messageType,
  type StunMessage,
  type DecodedStun,
  type EncodeOptions,
  type IntegrityField,
  type StunDecodeError,
  type StunHeader,
} from './codec.js'
export { saslPrep, longTermKey, shortTermKey } from './credentials.js'
export {
  StunClientTransactions,
  RFC8489_RETRANSMIT,
  type RetransmitConfig,
  type TransactionOutput,
} from './transactions.js'
export {
  answerStunDatagram,
  answerBinding,
  errorResponse,
  serverSockets,
  type StunServerConfig,
  type ServerSend,
} from './server.js'
export {
  NatBehaviourDiscovery,
  DISCOVERY_RETRANSMIT,
  type DiscoveryConfig,
  type DiscoveryOutput,
  type NatReport,
  type MappingBehaviour,
  type FilteringBehaviour,
} from './discovery.js'
export { StunStreamReader, STUN_STREAM_MESSAGE_MAX } from './stream.js'
