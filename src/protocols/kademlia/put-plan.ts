import type { BValue } from '../../core/codec/bencode.js'
import type { Hashing } from '../../core/env.js'
import { assert } from '../../core/errors.js'
import type { Id160 } from '../../core/id.js'
import type { Ed25519 } from './ed25519.js'
import { mutableTarget } from './items.js'
import type { PutPlan } from './operation.js'

/** A mutable item as `DhtNode.putMutable` takes it (BEP 44). */
export interface MutableItemToPut {
  readonly seed: Uint8Array
  readonly salt?: Uint8Array
  readonly seq?: number
  readonly value: BValue
  readonly cas?: number
}

/**
 * What putting a mutable item stores and where: the public key from the signing seed, the
 * target from the key and salt (an empty salt is no salt), and the plan the store phase signs.
 */
export function mutablePutPlan(
  ed: Ed25519,
  hashing: Hashing,
  item: MutableItemToPut,
): { readonly target: Id160; readonly put: PutPlan; readonly salt: Uint8Array | undefined } {
  assert(item.seed.length === 32, 'the ed25519 seed must be 32 bytes')
  const k = ed.publicKeyOf(item.seed)
  const salt = item.salt !== undefined && item.salt.length > 0 ? item.salt : undefined
  const target = mutableTarget(hashing, k, salt)
  const put: PutPlan = {
    value: item.value,
    seed: item.seed,
    k,
    ...(salt === undefined ? {} : { salt }),
    ...(item.seq === undefined ? {} : { seq: item.seq }),
    ...(item.cas === undefined ? {} : { cas: item.cas }),
  }
  return { target, put, salt }
}
