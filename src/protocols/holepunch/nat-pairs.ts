/**
 * Which pairs of NAT behaviours allow a direct UDP path with ICE checks (RFC 4787 terms; the
 * simulator's and the test bed's names). A symmetric NAT gives each destination a new port,
 * so its peer only ever learns that port from the check itself: the peer's NAT must then let
 * in a datagram from an unknown port, which full cone (any source) and address-restricted
 * (a host already sent to, any port) do, and port-restricted and symmetric do not.
 */
export type NatKind = 'none' | 'full_cone' | 'address_restricted' | 'port_restricted' | 'symmetric'

export const NAT_KINDS: readonly NatKind[] = [
  'none',
  'full_cone',
  'address_restricted',
  'port_restricted',
  'symmetric',
]

const strict = (kind: NatKind): boolean => kind === 'port_restricted' || kind === 'symmetric'

export function directPossible(a: NatKind, b: NatKind): boolean {
  if (a === 'symmetric') return !strict(b)
  if (b === 'symmetric') return !strict(a)
  return true
}
