/**
 * STUN's numbers (RFC 8489, with the registrations of RFC 5780, RFC 8656 and RFC 8445): the
 * magic cookie, methods, classes, attribute types and error codes with their reason phrases.
 */

export const MAGIC_COOKIE = 0x2112a442
export const HEADER_BYTES = 20
export const TRANSACTION_ID_BYTES = 12
/** FINGERPRINT is the CRC-32 of the message up to it, XORed with this ("STUN" in ASCII). */
export const FINGERPRINT_XOR = 0x5354554e

/** Methods: 12 bits. Binding is STUN's; the others are TURN's (RFC 8656 section 17). */
export const StunMethod = {
  Binding: 0x001,
  Allocate: 0x003,
  Refresh: 0x004,
  Send: 0x006,
  Data: 0x007,
  CreatePermission: 0x008,
  ChannelBind: 0x009,
} as const

export type StunClass = 'request' | 'indication' | 'success' | 'error'

/** Attribute type codes. Below 0x8000 a receiver must understand them ("comprehension-required"). */
export const AttributeType = {
  MappedAddress: 0x0001,
  ChangeRequest: 0x0003,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  ChannelNumber: 0x000c,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  Realm: 0x0014,
  Nonce: 0x0015,
  XorRelayedAddress: 0x0016,
  RequestedAddressFamily: 0x0017,
  EvenPort: 0x0018,
  RequestedTransport: 0x0019,
  DontFragment: 0x001a,
  MessageIntegritySha256: 0x001c,
  XorMappedAddress: 0x0020,
  ReservationToken: 0x0022,
  Priority: 0x0024,
  UseCandidate: 0x0025,
  Padding: 0x0026,
  ResponsePort: 0x0027,
  AdditionalAddressFamily: 0x8000,
  AddressErrorCode: 0x8001,
  Software: 0x8022,
  AlternateServer: 0x8023,
  Fingerprint: 0x8028,
  IceControlled: 0x8029,
  IceControlling: 0x802a,
  ResponseOrigin: 0x802b,
  OtherAddress: 0x802c,
} as const

export const isComprehensionRequired = (type: number): boolean => type < 0x8000

/** Error codes with the reason phrases the RFCs suggest. */
export const StunErrorCode = {
  TryAlternate: 300,
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  UnknownAttribute: 420,
  AllocationMismatch: 437,
  StaleNonce: 438,
  AddressFamilyNotSupported: 440,
  WrongCredentials: 441,
  UnsupportedTransportProtocol: 442,
  PeerAddressFamilyMismatch: 443,
  AllocationQuotaReached: 486,
  ServerError: 500,
  InsufficientCapacity: 508,
} as const

const REASONS: Readonly<Record<number, string>> = {
  300: 'Try Alternate',
  400: 'Bad Request',
  401: 'Unauthenticated',
  403: 'Forbidden',
  420: 'Unknown Attribute',
  437: 'Allocation Mismatch',
  438: 'Stale Nonce',
  440: 'Address Family not Supported',
  441: 'Wrong Credentials',
  442: 'Unsupported Transport Protocol',
  443: 'Peer Address Family Mismatch',
  486: 'Allocation Quota Reached',
  500: 'Server Error',
  508: 'Insufficient Capacity',
}

export const reasonPhrase = (code: number): string => REASONS[code] ?? 'Error'

/** REQUESTED-TRANSPORT's protocol number for UDP (IANA). */
export const TRANSPORT_UDP = 17
