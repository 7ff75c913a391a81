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
