import type { Random } from '../../core/random.js'
import type { Guid } from './messages.js'

/** A 0.6 GUID: random, with byte 8 = 0xff and byte 15 = 0x00 marking a modern servent. */
export function newGuid(random: Random): Guid {
  const guid = random.bytes(16)
  guid[8] = 0xff
  guid[15] = 0x00
  return guid
}
