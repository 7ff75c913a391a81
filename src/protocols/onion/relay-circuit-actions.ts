/**
 * What a `RelayCircuit` asks of its driver (the actions it returns for every input), and the
 * relay's settings it consults. Kept apart from the state machine so the driver's side of the
 * contract reads in one place.
 */
import type { LinkSpecifier } from './relay-messages.js'

export type RelayCircuitAction =
  /** A cell toward the client, on the circuit id of the previous hop's link. */
  | { readonly type: 'to-previous'; readonly command: number; readonly payload: Uint8Array }
  /** A cell toward the next hop, on the circuit id of the next link. */
  | { readonly type: 'to-next'; readonly command: number; readonly payload: Uint8Array }
  /** Open (or reuse) a link to the next hop and send it CREATE2 with this payload. */
  | {
      readonly type: 'extend'
      readonly linkSpecifiers: readonly LinkSpecifier[]
      readonly create2: Uint8Array
    }
  | {
      readonly type: 'connect'
      readonly streamId: number
      readonly host: string
      readonly port: number
    }
  /** Connect the stream to a directory server (BEGIN_DIR); the driver knows which. */
  | { readonly type: 'connect-directory'; readonly streamId: number }
  | { readonly type: 'write'; readonly streamId: number; readonly data: Uint8Array }
  /** Stop reading the exit's TCP connection (the windows are shut) or start again. */
  | { readonly type: 'pause-stream'; readonly streamId: number }
  | { readonly type: 'resume-stream'; readonly streamId: number }
  | { readonly type: 'close-stream'; readonly streamId: number }
  | { readonly type: 'refused'; readonly detail: string }
  /** The circuit is over: the driver tears down both sides. */
  | { readonly type: 'closed'; readonly reason: string; readonly destroyPrevious: boolean }

export interface RelayCircuitOptions {
  /** Whether the exit may open host:port (its exit policy). */
  readonly exitAllows: (host: string, port: number) => boolean
  /** Whether BEGIN_DIR is served (the relay advertises `tunnelled-dir-server`). */
  readonly servesDirectory?: boolean
}
