import type { StunAttribute } from '../stun/attributes.js'
import { encodeStun, type DecodedStun } from '../stun/codec.js'
import type { Address } from '../../core/address.js'
import { StunMethod, reasonPhrase } from '../stun/constants.js'

/**
 * The TURN server's authenticated answers: MESSAGE-INTEGRITY with the user's long-term key,
 * FINGERPRINT, and SOFTWARE when the operator names one.
 */

export const softwareOption = (software: string | undefined): { software?: string } =>
  software === undefined ? {} : { software }

const softwareAttribute = (software: string | undefined): StunAttribute[] =>
  software === undefined ? [] : [{ type: 'software', value: software }]

export const signedSuccess = (
  request: DecodedStun,
  key: Uint8Array,
  attributes: StunAttribute[],
  software: string | undefined,
): Uint8Array =>
  encodeStun(
    {
      method: request.method,
      messageClass: 'success',
      transactionId: request.transactionId,
      attributes: [...attributes, ...softwareAttribute(software)],
    },
    { integrity: key, fingerprint: true },
  )

export const signedError = (
  request: { readonly method: number; readonly transactionId: Uint8Array },
  code: number,
  extra: StunAttribute[],
  key: Uint8Array,
  software: string | undefined,
): Uint8Array =>
  encodeStun(
    {
      method: request.method,
      messageClass: 'error',
      transactionId: request.transactionId,
      attributes: [
        { type: 'error-code', code, reason: reasonPhrase(code) },
        ...extra,
        ...softwareAttribute(software),
      ],
    },
    { integrity: key, fingerprint: true },
  )

/** Data relayed from a peer to a client without a channel (RFC 8656 section 11.6). */
export const dataIndication = (
  transactionId: Uint8Array,
  from: Address,
  data: Uint8Array,
): Uint8Array =>
  encodeStun({
    method: StunMethod.Data,
    messageClass: 'indication',
    transactionId,
    attributes: [
      { type: 'xor-peer-address', address: from },
      { type: 'data', value: data },
    ],
  })

/** Indications need a transaction id but nobody matches it: a counter is enough. */
export class IndicationIds {
  private sent = 0

  next(): Uint8Array {
    const id = new Uint8Array(12)
    new DataView(id.buffer).setUint32(8, this.sent++)
    return id
  }
}
