/**
 * Routing BEP 10 `extended` messages to the sub-codecs. Each side picks the ids it wants to
 * *receive* each extension as and announces them in its extended handshake's `m`, so:
 * - decode an incoming message with the ids *we* announced (`localExtensions`);
 * - encode an outgoing one with the ids the *peer* announced (`remoteExtensions`).
 * Id 0 is always the extended handshake. The swarm core owns both maps, per connection.
 */
import { err, ok, type Result } from '../../../core/result.js'
import { wireError, type WireError } from './errors.js'
import { decodeExtendedHandshake, encodeExtendedHandshake } from './extended-handshake.js'
import { UT_HOLEPUNCH, UT_METADATA, UT_PEX, type ExtensionMessage } from './extension-messages.js'
import { decodeHolepunch, encodeHolepunch } from './holepunch.js'
import type { WireMessage } from './messages.js'
import { decodeMetadataMessage, encodeMetadataMessage } from './metadata.js'
import { decodePex, encodePex } from './pex.js'

export const EXTENDED_HANDSHAKE_ID = 0

type Extended = Extract<WireMessage, { type: 'extended' }>

/** The name we announced for `extendedId`, if any (0 means disabled, never a name). */
function nameOf(
  extendedId: number,
  localExtensions: ReadonlyMap<string, number>,
): string | undefined {
  if (extendedId === EXTENDED_HANDSHAKE_ID) return undefined
  for (const [name, id] of localExtensions) if (id === extendedId) return name
  return undefined
}

/**
 * Decodes the payload of an incoming `extended` message. `metadataSize` is the peer's
 * `metadata_size`, checked against ut_metadata data messages when given.
 */
export function decodeExtension(
  message: Extended,
  localExtensions: ReadonlyMap<string, number>,
  metadataSize?: number,
): Result<ExtensionMessage, WireError> {
  const { extendedId, payload } = message
  if (extendedId === EXTENDED_HANDSHAKE_ID) {
    const handshake = decodeExtendedHandshake(payload)
    return handshake.ok ? ok({ type: 'extended_handshake', handshake: handshake.value }) : handshake
  }
  const name = nameOf(extendedId, localExtensions)
  if (name === UT_METADATA) {
    const decoded = decodeMetadataMessage(payload, metadataSize)
    return decoded.ok ? ok({ type: 'ut_metadata', message: decoded.value }) : decoded
  }
  if (name === UT_PEX) {
    const decoded = decodePex(payload)
    return decoded.ok ? ok({ type: 'ut_pex', message: decoded.value }) : decoded
  }
  if (name === UT_HOLEPUNCH) {
    const decoded = decodeHolepunch(payload)
    if (decoded.ok) return ok({ type: 'ut_holepunch', message: decoded.value })
    return err(wireError('bad_holepunch_message', JSON.stringify(decoded.error)))
  }
  return ok({ type: 'unknown_extension', extendedId, payload })
}

/**
 * The `extended` message carrying `message`, or undefined when the peer has not enabled that
 * extension (absent from its `m`, or id 0): BEP 10 forbids sending it then.
 */
export function encodeExtension(
  message: ExtensionMessage,
  remoteExtensions: ReadonlyMap<string, number>,
): Extended | undefined {
  switch (message.type) {
    case 'extended_handshake':
      return extended(EXTENDED_HANDSHAKE_ID, encodeExtendedHandshake(message.handshake))
    case 'unknown_extension':
      return extended(message.extendedId, message.payload)
    case 'ut_metadata': {
      const id = remoteExtensions.get(UT_METADATA)
      return id ? extended(id, encodeMetadataMessage(message.message)) : undefined
    }
    case 'ut_pex': {
      const id = remoteExtensions.get(UT_PEX)
      return id ? extended(id, encodePex(message.message)) : undefined
    }
    case 'ut_holepunch': {
      const id = remoteExtensions.get(UT_HOLEPUNCH)
      return id ? extended(id, encodeHolepunch(message.message)) : undefined
    }
  }
}

const extended = (extendedId: number, payload: Uint8Array): Extended => ({
  type: 'extended',
  extendedId,
  payload,
})
