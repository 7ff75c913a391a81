import type { Address } from './address.js'
import type { StreamTransport } from './env.js'
import type { Result } from './result.js'
import type { Instant } from './time.js'

/**
 * The contracts every protocol core implements. A core is a sans-IO state machine: each input
 * carries `now`, outputs are queued and taken by a driver, and the core says when it next
 * needs `timeout(now)`. Drivers (`src/drivers/attach*.ts`) bind cores to an Env, the same
 * way for real sockets and for the simulator.
 */

export type Output<Message, Event> =
  | { readonly type: 'send'; readonly to: Address; readonly message: Message }
  | { readonly type: 'event'; readonly event: Event }

/** The shape every datagram overlay shares (Kademlia, Chord, Pastry, CAN, ping...). */
export interface DatagramCore<Message, Event> {
  /** Call for every decoded datagram. */
  receive(now: Instant, from: Address, message: Message): void
  /** Call at or after `nextTimeout()`. */
  timeout(now: Instant): void
  /** When the core next wants `timeout`, or undefined when it is idle. */
  nextTimeout(): Instant | undefined
  /** Drains the queued outputs, in order. Call after every input. */
  takeOutputs(): Output<Message, Event>[]
}

/** Bytes <-> messages. `decode` never throws: bad bytes are a value. */
export interface Codec<Message, DecodeError> {
  encode(message: Message): Uint8Array
  decode(bytes: Uint8Array): Result<Message, DecodeError>
}

// ---------------------------------------------------------------------------------------------
// Stream protocols (BitTorrent peer wire, directory, Gnutella, onion cells).

/** Identifies one stream connection inside a core. The core allocates them. */
export type ConnectionId = number & { readonly __brand: 'ConnectionId' }

export type StreamCloseReason =
  /** The far side closed its half after sending everything (FIN). */
  | 'end'
  /** The connection was reset (RST), e.g. the far host crashed or refused mid-way. */
  | 'reset'
  /** Nothing came back in time (the far host vanished silently). */
  | 'timeout'
  /** We closed it. */
  | 'local'
  | 'error'

export type ConnectFailure = 'refused' | 'timeout' | 'unreachable' | 'error'

export type StreamOutput<Event> =
  | {
      readonly type: 'connect'
      readonly connection: ConnectionId
      readonly to: Address
      /** Only this transport (a hole punch needs uTP's shared port); else the driver's choice. */
      readonly transport?: StreamTransport
    }
  /** Bytes for the connection. Ownership passes to the driver: do not mutate them later. */
  | { readonly type: 'write'; readonly connection: ConnectionId; readonly bytes: Uint8Array }
  /** `graceful` flushes what was written and sends FIN; otherwise the connection is reset. */
  | { readonly type: 'close'; readonly connection: ConnectionId; readonly graceful: boolean }
  /** Receive-side backpressure: stop or restart reading from the connection. */
  | { readonly type: 'pause_reading'; readonly connection: ConnectionId }
  | { readonly type: 'resume_reading'; readonly connection: ConnectionId }
  | { readonly type: 'event'; readonly event: Event }

/**
 * A core that owns many stream connections (a swarm, a directory server). It sees only the
 * lifecycle of each connection and its bytes; the driver owns sockets.
 */
export interface StreamCore<Event> {
  /**
   * A peer connected to us. Returns the id the core gives the connection. `transport` is the
   * socket's (see `StreamSocket.transport`), when known.
   */
  accepted(now: Instant, remote: Address, local: Address, transport?: StreamTransport): ConnectionId
  /** An outbound `connect` output completed, over `transport` when known. */
  connected(
    now: Instant,
    connection: ConnectionId,
    local: Address,
    transport?: StreamTransport,
  ): void
  /** An outbound `connect` output failed. */
  connectFailed(now: Instant, connection: ConnectionId, reason: ConnectFailure): void
  received(now: Instant, connection: ConnectionId, bytes: Uint8Array): void
  /** The driver's send buffer for the connection is above its high-water mark. */
  writeBlocked(now: Instant, connection: ConnectionId): void
  /** The send buffer drained: the core may write again. */
  writable(now: Instant, connection: ConnectionId): void
  /** The connection is gone; no further input for it follows. */
  closed(now: Instant, connection: ConnectionId, reason: StreamCloseReason): void
  timeout(now: Instant): void
  nextTimeout(): Instant | undefined
  takeOutputs(): StreamOutput<Event>[]
}

/** Returned by `StreamConnection.nextMessage` when a whole message has not arrived yet. */
export const NEED_DATA: unique symbol = Symbol('need_data')
export type NeedData = typeof NEED_DATA

/**
 * One connection's protocol state, h11-shaped: feed bytes in, pull messages out until
 * `NEED_DATA`, queue messages to send and take the encoded bytes.
 */
export interface StreamConnection<Incoming, Outgoing, DecodeError> {
  receiveBytes(now: Instant, chunk: Uint8Array): void
  nextMessage(): Result<Incoming | NeedData, DecodeError>
  send(message: Outgoing): void
  takeOutbox(): Uint8Array[]
}
