import type { Address } from '../core/address.js'
import type { DatagramSocket } from '../core/env.js'
import type { Life, NetHost } from './net-host.js'
import type { SimNetwork } from './network.js'

/**
 * Datagrams: UDP-like, fire and forget. A datagram leaves through the sender's uplink (a FIFO at
 * the upload rate; beyond `datagramQueueBytesMax` of backlog it is dropped), may be lost or
 * duplicated per the link's ratios, travels one latency drawn per packet (so jitter reorders),
 * crosses the receiver's NAT box if any, waits in the receiver's downlink FIFO when that is busy,
 * and reaches the socket bound to its port. The bytes are copied on send, so the sender may
 * reuse its buffer and the receiver owns what it gets.
 *
 * Datagram queues and stream flows do not compete for a host's capacity: datagram traffic is
 * assumed small beside bulk streams (DHT messages beside BitTorrent pieces).
 */

/** The largest UDP payload over IPv4; larger datagrams are dropped (and counted). */
export const DATAGRAM_BYTES_MAX = 65_507

export class SimDatagramSocket implements DatagramSocket {
  /** `local.port`, kept in the socket itself for the lookup on every delivery. */
  readonly port: number
  handler: ((from: Address, bytes: Uint8Array) => void) | undefined = undefined
  closed = false

  constructor(
    readonly network: SimNetwork,
    readonly host: NetHost,
    readonly life: Life,
    readonly local: Address,
  ) {
    this.port = local.port
  }

  send(to: Address, bytes: Uint8Array): void {
    if (this.closed || !this.life.alive) return
    sendDatagram(this, to, bytes)
  }

  onReceive(handler: (from: Address, bytes: Uint8Array) => void): void {
    this.handler = handler
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    const sockets = this.host.datagramSockets
    const index = sockets.indexOf(this)
    if (index !== -1) sockets.splice(index, 1)
  }
}

/** A datagram in flight: the event context of its arrival. */
interface Packet {
  readonly network: SimNetwork
  readonly to: NetHost
  /** The destination port: public (translated on arrival) when `viaNat`, else the socket's. */
  port: number
  viaNat: boolean
  readonly from: Address
  readonly bytes: Uint8Array
}

function sendDatagram(socket: SimDatagramSocket, to: Address, bytes: Uint8Array): void {
  const network = socket.network
  const counters = network.counters
  const sender = socket.host
  const size = bytes.length
  counters.datagramsSent++
  counters.datagramBytesSent += size
  sender.datagramBytesSent += size
  if (size > DATAGRAM_BYTES_MAX) {
    counters.datagramsDroppedOversize++
    return traceDatagram(network, socket.local, to, size, 'oversize')
  }
  const receiver = to.host === sender.address ? sender : network.route(to.host)
  if (receiver === undefined) {
    counters.datagramsDroppedNoRoute++
    return traceDatagram(network, socket.local, to, size, 'no_route')
  }
  const now = network.scheduler.now()
  const viaNat = receiver.nat !== undefined && to.host === receiver.nat.publicHost
  const from =
    sender.nat === undefined || receiver === sender
      ? socket.local
      : sender.nat.outbound(now, socket.local.port, to)
  const start = sender.uplinkFreeAt > now ? sender.uplinkFreeAt : now
  const upload = sender.uploadBytesPerSecond
  if (((start - now) * upload) / 1000 > network.settings.datagramQueueBytesMax) {
    counters.datagramsDroppedQueue++
    return traceDatagram(network, from, to, size, 'queue_full')
  }
  const departed = start + (size * 1000) / upload
  sender.uplinkFreeAt = departed
  const random = sender.random
  const loss = network.lossRatio(sender, receiver)
  if (loss > 0 && random.float() < loss) {
    counters.datagramsLost++
    return traceDatagram(network, from, to, size, 'lost')
  }
  const duplicateRatio = network.duplicateRatio(sender, receiver)
  const copies = duplicateRatio > 0 && random.float() < duplicateRatio ? 2 : 1
  if (copies > 1) counters.datagramsDuplicated++
  for (let copy = 0; copy < copies; copy++) {
    const copy = new Uint8Array(bytes) // the receiver owns its copy (faster than slice)
    const packet: Packet = { network, to: receiver, port: to.port, viaNat, from, bytes: copy }
    const at = departed + network.latencyMs(sender, receiver)
    network.scheduler.schedule(at, arriveDatagram, packet)
  }
  traceDatagram(network, from, to, size, copies > 1 ? 'sent_twice' : 'sent')
}

/** Arrival at the receiver's edge: NAT filtering, then the downlink FIFO. */
function arriveDatagram(packet: Packet): void {
  const { network, to } = packet
  const counters = network.counters
  if (!to.up) {
    counters.datagramsDroppedHostDown++
    return traceArrival(packet, 'host_down')
  }
  const now = network.scheduler.now()
  if (packet.viaNat && to.nat !== undefined) {
    const privatePort = to.nat.inbound(now, packet.port, packet.from)
    if (privatePort === undefined) {
      counters.datagramsDroppedNat++
      return traceArrival(packet, 'nat_filtered')
    }
    packet.port = privatePort
    packet.viaNat = false
  }
  const download = to.downloadBytesPerSecond
  const serviceMs = (packet.bytes.length * 1000) / download
  if (to.downlinkFreeAt > now) {
    // Busy: wait in the downlink queue, delivered when its turn comes.
    if (((to.downlinkFreeAt - now) * download) / 1000 > network.settings.datagramQueueBytesMax) {
      counters.datagramsDroppedQueue++
      return traceArrival(packet, 'queue_full')
    }
    const turn = to.downlinkFreeAt
    to.downlinkFreeAt = turn + serviceMs
    network.scheduler.schedule(turn, deliverDatagram, packet)
    return
  }
  to.downlinkFreeAt = now + serviceMs
  deliverDatagram(packet)
}

function deliverDatagram(packet: Packet): void {
  const { network, to, port } = packet
  const counters = network.counters
  if (!to.up) {
    counters.datagramsDroppedHostDown++
    return traceArrival(packet, 'host_down')
  }
  const sockets = to.datagramSockets
  let socket: SimDatagramSocket | undefined
  for (let i = 0; i < sockets.length; i++) {
    const candidate = sockets[i] as SimDatagramSocket
    if (candidate.port === port) {
      socket = candidate
      break
    }
  }
  const handler = socket?.handler
  if (handler === undefined) {
    counters.datagramsDroppedNoSocket++
    return traceArrival(packet, 'no_socket')
  }
  const size = packet.bytes.length
  counters.datagramsDelivered++
  counters.datagramBytesDelivered += size
  to.datagramBytesReceived += size
  if (network.trace.enabled) traceArrival(packet, 'delivered')
  handler(packet.from, packet.bytes)
}

function traceDatagram(
  network: SimNetwork,
  from: Address,
  to: Address,
  size: number,
  outcome: string,
): void {
  if (!network.trace.enabled) return
  const now = network.scheduler.now()
  network.trace.record(
    `${now} dgram ${from.host}:${from.port}>${to.host}:${to.port} ${size} ${outcome}`,
  )
}

function traceArrival(packet: Packet, outcome: string): void {
  const to = { host: packet.to.address, port: packet.port }
  traceDatagram(packet.network, packet.from, to, packet.bytes.length, outcome)
}
