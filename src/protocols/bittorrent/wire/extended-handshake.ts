/**
 * The BEP 10 extended handshake (extended id 0): a bencoded dictionary that names the
 * extensions the sender supports and the ids it wants them sent as, plus optional facts about
 * the sender. Decoding is a tolerant reader, as clients are in practice: every field is
 * optional, and a field of the wrong type or out of range is treated as absent (a peer whose
 * `p` we cannot read is still a peer). Unknown keys are ignored.
 */
import { isValidPort } from '../../../core/address.js'
import { fromUtf8 } from '../../../core/bytes.js'
import {
  dictGetBytes,
  dictGetDict,
  dictGetInt,
  dictOf,
  encode,
  type BDict,
} from '../../../core/codec/bencode.js'
import { assert } from '../../../core/errors.js'
import { ok, type Result } from '../../../core/result.js'
import type { WireError } from './errors.js'
import type { ExtendedHandshake } from './extension-messages.js'
import { IPV4_BYTES, IPV6_BYTES, ipFromBytes, ipToBytes } from '../../../core/ip-bytes.js'
import { EXTENDED_ID_MAX } from './limits.js'
import { decodePayloadDict, isUintAtMost } from './payload-dict.js'

export function encodeExtendedHandshake(handshake: ExtendedHandshake): Uint8Array {
  for (const [name, id] of handshake.extensions) {
    assert(isUintAtMost(id, EXTENDED_ID_MAX), `extension ${name} has id ${id}, not 0..255`)
  }
  return encode(
    dictOf({
      m: handshake.extensions,
      p: handshake.port,
      v: handshake.client,
      yourip: ipField(handshake.yourIp, undefined),
      reqq: handshake.reqq,
      metadata_size: handshake.metadataSize,
      ipv4: ipField(handshake.ipv4, IPV4_BYTES),
      ipv6: ipField(handshake.ipv6, IPV6_BYTES),
    }),
  )
}

function ipField(host: string | undefined, bytes: number | undefined): Uint8Array | undefined {
  if (host === undefined) return undefined
  const ip = ipToBytes(host)
  assert(ip !== undefined && (bytes === undefined || ip.length === bytes), `bad address ${host}`)
  return ip
}

export function decodeExtendedHandshake(payload: Uint8Array): Result<ExtendedHandshake, WireError> {
  const decoded = decodePayloadDict(payload, 'extended handshake', false)
  if (!decoded.ok) return decoded
  const dict = decoded.value.dict
  const port = dictGetInt(dict, 'p')
  const client = dictGetBytes(dict, 'v')
  const reqq = dictGetInt(dict, 'reqq')
  const metadataSize = dictGetInt(dict, 'metadata_size')
  const yourIp = ipAt(dict, 'yourip', undefined)
  const ipv4 = ipAt(dict, 'ipv4', IPV4_BYTES)
  const ipv6 = ipAt(dict, 'ipv6', IPV6_BYTES)
  return ok({
    extensions: extensionsOf(dictGetDict(dict, 'm')),
    ...(port !== undefined && isValidPort(port) ? { port } : {}),
    ...(client !== undefined ? { client: fromUtf8(client) } : {}),
    ...(yourIp !== undefined ? { yourIp } : {}),
    ...(isUintAtMost(reqq, Number.MAX_SAFE_INTEGER) ? { reqq } : {}),
    ...(isUintAtMost(metadataSize, Number.MAX_SAFE_INTEGER) ? { metadataSize } : {}),
    ...(ipv4 !== undefined ? { ipv4 } : {}),
    ...(ipv6 !== undefined ? { ipv6 } : {}),
  })
}

/** `m` with every entry whose id is not a byte dropped. */
function extensionsOf(m: BDict | undefined): Map<string, number> {
  const extensions = new Map<string, number>()
  if (m === undefined) return extensions
  for (const [name, id] of m) {
    if (typeof id === 'number' && isUintAtMost(id, EXTENDED_ID_MAX)) extensions.set(name, id)
  }
  return extensions
}

function ipAt(dict: BDict, key: string, bytes: number | undefined): string | undefined {
  const value = dictGetBytes(dict, key)
  if (value === undefined || (bytes !== undefined && value.length !== bytes)) return undefined
  return ipFromBytes(value)
}
