import type { Codec } from '../../../core/core.js'
import type { IpFamily } from '../../../core/compact-peers.js'
import { decodeUdpTrackerResponse, type UdpTrackerDecodeError } from './udp-decode.js'
import { encodeUdpTrackerMessage } from './udp-encode.js'
import type { UdpTrackerMessage } from './udp-messages.js'

/**
 * The client-side codec for one address family: encodes requests, decodes the tracker's
 * responses. Bind it to the socket whose family matches (udp4 -> 'ipv4', udp6 -> 'ipv6').
 */
export function udpTrackerCodec(family: IpFamily): Codec<UdpTrackerMessage, UdpTrackerDecodeError> {
  return {
    encode: (message) => encodeUdpTrackerMessage(message, family),
    decode: (bytes) => decodeUdpTrackerResponse(bytes, family),
  }
}
