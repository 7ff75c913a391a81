/**
 * KRPC messages (BEP 5) with the extensions we speak: `want` and `nodes6` (BEP 32), `scrape`,
 * `noseed`, `seed`, `BFsd` and `BFpe` (BEP 33), `ro` (BEP 43), the responder's view of our
 * address in `ip` (BEP 42), `get` / `put` (BEP 44) and `sample_infohashes` (BEP 51). Messages are plain data; the codec
 * (`krpc-codec.ts`) turns them into bencoded dictionaries and back.
 */
import type { Address } from '../../core/address.js'
import type { BValue } from '../../core/codec/bencode.js'
import type { Id160 } from '../../core/id.js'

/** A node as compact node info carries it: id and UDP address. */
export interface NodeInfo {
  readonly id: Id160
  readonly address: Address
}

/** KRPC error codes: BEP 5 (201-204) and BEP 44 (205-207, 301, 302). */
export const KRPC_ERROR = {
  generic: 201,
  server: 202,
  protocol: 203,
  methodUnknown: 204,
  messageTooBig: 205,
  invalidSignature: 206,
  saltTooBig: 207,
  casMismatch: 301,
  sequenceTooLow: 302,
} as const

/**
 * BEP 32 `want`: which node lists the querier asks for (`n4`: `nodes`, `n6`: `nodes6`).
 * Absent, a reply carries the list of the family the query came over.
 */
export interface Want {
  readonly n4: boolean
  readonly n6: boolean
}

export type KrpcQuery =
  | { readonly method: 'ping' }
  | { readonly method: 'find_node'; readonly target: Id160; readonly want?: Want }
  | {
      readonly method: 'get_peers'
      readonly infoHash: Id160
      readonly want?: Want
      /** BEP 33: answer with the BFsd / BFpe bloom filters of the stored peers. */
      readonly scrape?: boolean
      /** BEP 33: prefer peers that are not seeds in `values`. */
      readonly noseed?: boolean
    }
  | {
      readonly method: 'announce_peer'
      readonly infoHash: Id160
      readonly port: number
      readonly token: Uint8Array
      /** BEP 5 `implied_port`: use the query's source port instead of `port`. */
      readonly impliedPort: boolean
      /** BEP 33: the announcer seeds the torrent. */
      readonly seed?: boolean
    }
  /** BEP 51: a sample of the info-hashes the node stores peers for, and nodes near `target`. */
  | { readonly method: 'sample_infohashes'; readonly target: Id160 }
  | { readonly method: 'get'; readonly target: Id160; readonly seq?: number }
  | {
      readonly method: 'put'
      readonly token: Uint8Array
      /** The value, any bencodable value whose encoding is at most 1000 bytes. */
      readonly value: BValue
      /** Mutable items only: ed25519 public key, signature, sequence number. */
      readonly k?: Uint8Array
      readonly sig?: Uint8Array
      readonly seq?: number
      readonly salt?: Uint8Array
      readonly cas?: number
    }
  /** A method we do not know: answered with error 204. */
  | { readonly method: 'unknown'; readonly name: string }

export type KrpcMethod = KrpcQuery['method']

/** The fields a response may carry; which ones depends on the query it answers. */
export interface KrpcResponseBody {
  readonly id: Id160
  readonly nodes?: readonly NodeInfo[]
  readonly nodes6?: readonly NodeInfo[]
  /** get_peers: peers for the info-hash. */
  readonly values?: readonly Address[]
  readonly token?: Uint8Array
  /** get (BEP 44): the stored item, when the node has one. */
  readonly value?: BValue
  readonly k?: Uint8Array
  readonly sig?: Uint8Array
  readonly seq?: number
  /** BEP 33 scrape: bloom filters (256 bytes) of the seeds' and the peers' IPs. */
  readonly bfsd?: Uint8Array
  readonly bfpe?: Uint8Array
  /** BEP 51: seconds before the sample may change; info-hashes stored; the sample. */
  readonly interval?: number
  readonly num?: number
  readonly samples?: readonly Id160[]
}

interface Envelope {
  /** Transaction id, chosen by the querier and echoed back. */
  readonly t: Uint8Array
  /** Client version string (BEP 5 `v`), when present. */
  readonly version?: Uint8Array
}

export type KrpcMessage =
  | (Envelope & {
      readonly type: 'query'
      readonly id: Id160
      /** BEP 43: the sender is read-only; do not add it to routing tables. */
      readonly readOnly: boolean
      readonly query: KrpcQuery
    })
  | (Envelope & {
      readonly type: 'response'
      /** BEP 42: the address the responder saw our query come from. */
      readonly ip?: Address
      readonly body: KrpcResponseBody
    })
  | (Envelope & {
      readonly type: 'error'
      readonly code: number
      readonly message: string
      readonly ip?: Address
    })
