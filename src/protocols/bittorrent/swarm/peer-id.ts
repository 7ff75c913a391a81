/**
 * Azureus-style peer id prefixes (`-XXabcd-`, BEP 20): two letters name the client, the
 * four version characters are major, minor, patch, build. A version `0.1.0` is `0100`
 * (as libtorrent `-LT1200-` is 1.2.0.0); putting the patch first made other clients show
 * plexus 0.1.0 as 0.0.1 (issue 19). Components above 9 use libtorrent's decoding: `A`-`Z`
 * are 10-35 and `a`-`z` 36-61.
 */
import { assert } from '../../../core/errors.js'

const VERSION_DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'

/** `azureusPeerIdPrefix('PX', '0.1.0')` is `-PX0100-`. */
export function azureusPeerIdPrefix(client: string, version: string): string {
  assert(/^[A-Za-z]{2}$/.test(client), `client code ${client} must be two letters`)
  const parts = version.split(/[.-]/).slice(0, 4)
  const digits = [0, 1, 2, 3].map((i) => {
    const part = parts[i] ?? '0'
    const value = /^\d+$/.test(part) ? Number(part) : 0
    const digit = VERSION_DIGITS[value]
    assert(digit !== undefined, `version component ${part} of ${version} does not fit a peer id`)
    return digit
  })
  return `-${client}${digits.join('')}-`
}

/** The dotted version an Azureus-style peer id names, as other clients decode it. */
export function decodeAzureusVersion(peerId: string): string | undefined {
  const match = /^-[A-Za-z]{2}([0-9A-Za-z]{4})-/.exec(peerId)
  if (match === null) return undefined
  const values = [...(match[1] as string)].map((c) => VERSION_DIGITS.indexOf(c))
  return values.slice(0, 3).join('.') + (values[3] === 0 ? '' : `.${String(values[3])}`)
}
