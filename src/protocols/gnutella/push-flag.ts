/**
 * The push flag of a QueryHit's trailer (Gnutella 0.6 draft, the Query Hit Data block): the
 * open data holds two flag bytes. For every other flag the first byte says which bits of the
 * second are meaningful; the push flag is the exception, its value in bit 0 of the first byte
 * and its "meaningful" bit in bit 0 of the second. Set: the servent is firewalled, reach it by
 * a Push. A servent that sends no trailer (or a one-byte open area) is read as the first byte
 * alone says.
 */
import type { QueryHitTrailer } from './messages.js'

export const VENDOR_CODE = 'PLXS'
const PUSH_BIT = 0x01

/** Our trailer: the push flag (meaningful) set when we are firewalled. */
export function queryHitTrailer(firewalled: boolean): QueryHitTrailer {
  return {
    vendorCode: VENDOR_CODE,
    openData: Uint8Array.of(firewalled ? PUSH_BIT : 0, PUSH_BIT),
    privateData: new Uint8Array(0),
  }
}

/** Whether a QueryHit's servent says it is firewalled. */
export function isFirewalled(trailer: QueryHitTrailer | undefined): boolean {
  const open = trailer?.openData
  if (open === undefined || open.length === 0) return false
  const value = ((open[0] as number) & PUSH_BIT) !== 0
  if (open.length === 1) return value
  return value && ((open[1] as number) & PUSH_BIT) !== 0
}
