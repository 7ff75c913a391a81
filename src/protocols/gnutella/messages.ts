/**
 * Gnutella 0.6 descriptors as values (GDF 0.6 draft, Klingberg and Manfredi 2002). Every
 * descriptor shares the 23-byte header: GUID (16), payload descriptor (1), TTL (1), hops (1),
 * payload length (4, little-endian). Field names follow the spec.
 */
import type { RouteTableUpdate } from './qrp/route-table-update.js'

/** 16 bytes: a descriptor id, or a servent id in QueryHit / Push. */
export type Guid = Uint8Array

/** Payload descriptor codes (the header's "function" byte). */
export const FUNCTION = {
  ping: 0x00,
  pong: 0x01,
  bye: 0x02,
  route_table_update: 0x30,
  vendor: 0x31,
  push: 0x40,
  query: 0x80,
  query_hit: 0x81,
} as const

/** One GGEP extension (GGEP 0.51): an id and its data. Encoded/compressed data stays opaque. */
export interface GgepExtension {
  readonly id: string
  readonly data: Uint8Array
  /** COBS-encoded or deflated data: kept as received, not interpreted here. */
  readonly encoded: boolean
  readonly compressed: boolean
}

export interface QueryHitResult {
  readonly fileIndex: number
  readonly fileSize: number
  readonly fileName: string
  /** HUGE urns in the result's extension block, e.g. `urn:sha1:<32 base32 chars>`. */
  readonly urns: readonly string[]
  readonly ggep: readonly GgepExtension[]
}

/** The optional QueryHit descriptor data between the results and the servent id. */
export interface QueryHitTrailer {
  readonly vendorCode: string
  readonly openData: Uint8Array
  readonly privateData: Uint8Array
}

export type Payload =
  | { readonly type: 'ping'; readonly ggep: readonly GgepExtension[] }
  | {
      readonly type: 'pong'
      readonly port: number
      readonly ip: string
      readonly filesShared: number
      readonly kilobytesShared: number
      readonly ggep: readonly GgepExtension[]
    }
  | { readonly type: 'bye'; readonly code: number; readonly reason: string }
  | {
      readonly type: 'push'
      readonly serventId: Guid
      readonly fileIndex: number
      readonly ip: string
      readonly port: number
      readonly ggep: readonly GgepExtension[]
    }
  | {
      readonly type: 'query'
      /** Minimum speed in 0.4; in 0.6 the high bits are flags. Kept as the 16-bit value. */
      readonly minSpeed: number
      readonly criteria: string
      /** HUGE urns (`urn:sha1:...`) in the extension block. */
      readonly urns: readonly string[]
      readonly ggep: readonly GgepExtension[]
    }
  | {
      readonly type: 'query_hit'
      readonly port: number
      readonly ip: string
      readonly speed: number
      readonly results: readonly QueryHitResult[]
      readonly trailer: QueryHitTrailer | undefined
      readonly serventId: Guid
    }
  | { readonly type: 'route_table_update'; readonly update: RouteTableUpdate }
  | {
      /** A vendor message (0x31): vendor code, selector, version, opaque data (vendor-message.ts). */
      readonly type: 'vendor'
      readonly vendor: string
      readonly selector: number
      readonly version: number
      readonly data: Uint8Array
    }

export interface Descriptor {
  readonly guid: Guid
  readonly ttl: number
  readonly hops: number
  readonly payload: Payload
}

export type PayloadType = Payload['type']
