import type { Address } from '../../core/address.js'

/** A node as the protocol names it: its ring id and where it listens. */
export interface NodeRef {
  readonly id: bigint
  readonly address: Address
}

/**
 * Chord's datagrams. Every message carries a transaction id (0 in a message that wants no
 * answer) and the sender's id; the sender's address is the datagram's source. Requests and
 * answers pair up by `tid`.
 */
export type ChordMessage =
  // Iterative lookup: "who succeeds `target`?"
  | (Header<'find_successor'> & { readonly target: bigint })
  /** The target lies in (asked, successor]: the owner, followed by the asked node's successors. */
  | (Header<'found'> & { readonly successors: readonly NodeRef[] })
  /** Not mine: the best preceding nodes the asked node knows, closest to the target first. */
  | (Header<'next'> & { readonly candidates: readonly NodeRef[] })
  /**
   * Recursive lookup: each node forwards to its closest preceding node, adding itself to
   * `path`; the node whose successor follows the target answers `routed` straight to `origin`
   * with the originator's `tid`.
   */
  | (Header<'route'> & {
      readonly target: bigint
      readonly origin: NodeRef
      readonly path: readonly NodeRef[]
    })
  | (Header<'routed'> & {
      readonly successors: readonly NodeRef[]
      readonly path: readonly NodeRef[]
    })
  // Stabilization.
  | Header<'get_predecessor'>
  | (Header<'predecessor'> & {
      readonly predecessor?: NodeRef
      readonly successors: readonly NodeRef[]
    })
  | Header<'notify'>
  /** Graceful leave, to the predecessor and the successor: "link past me to these". */
  | (Header<'leaving'> & {
      readonly predecessor?: NodeRef
      readonly successors: readonly NodeRef[]
    })
  | Header<'ping'>
  | Header<'pong'>
  // Storage. `store` with tid 0 is a hand-over or a re-replication and is not answered.
  | (Header<'store'> & { readonly key: bigint; readonly value: Uint8Array })
  | Header<'stored'>
  | (Header<'fetch'> & { readonly key: bigint })
  | (Header<'value'> & { readonly value?: Uint8Array })
  | (Header<'remove'> & { readonly key: bigint })
  | Header<'removed'>

interface Header<T extends string> {
  readonly type: T
  readonly tid: number
  readonly sender: bigint
}

export type ChordMessageType = ChordMessage['type']

/** The messages that open an exchange; the others answer one. */
export const REQUESTS: ReadonlySet<ChordMessageType> = new Set([
  'find_successor',
  'route',
  'get_predecessor',
  'notify',
  'leaving',
  'ping',
  'store',
  'fetch',
  'remove',
])

export const chordMessageName = (m: unknown): string =>
  typeof m === 'object' && m !== null && 'type' in m ? String(m.type) : 'message'
