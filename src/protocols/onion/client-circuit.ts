/**
 * A client's circuit as a sans-IO state machine: CREATE2 to the first hop, EXTEND2 (in
 * RELAY_EARLY) telescoping one hop at a time, streams (BEGIN, DATA, END, RESOLVE) multiplexed
 * at the last hop, circuit and stream SENDME windows. Inputs are cells from the link; outputs
 * are events, among them cells to send. Any protocol violation closes the circuit once,
 * with the fault as the reason: there is no partial recovery from a cell that failed its
 * digest or a window overrun.
 */
import type { RemoteFault } from '../../core/errors.js'
import type { Random } from '../../core/random.js'
import { CellCommand, type Cell } from './cell.js'
import { isRelay, newClientStream, type CircuitEvent, type ClientStream } from './client-streams.js'
import { HandshakeType, decodeCreated2, decodeDestroy, encodeCreate2 } from './control-cells.js'
import type { OnionCrypto } from './crypto-port.js'
import { CIRCUIT_WINDOW, DeliverWindow, PackageWindow, RelayEarlyBudget } from './flow-control.js'
import { splitHopKeys } from './kdf.js'
import {
  ntorClientFinish,
  ntorClientStart,
  ntorKeyMaterial,
  type NtorClientState,
  type NtorRelayKey,
} from './ntor.js'
import {
  RELAY_DATA_BYTES_MAX,
  RelayCommand,
  decodeRelayCell,
  encodeRelayCell,
  relayPaddingBytes,
  type RelayCell,
} from './relay-cell.js'
import {
  HopCryptoLayer,
  openFromHops,
  openRunFromHops,
  sealForHop,
  type OpenedCell,
} from './relay-crypto.js'
import {
  EndReason,
  decodeConnected,
  decodeEnd,
  decodeExtended2,
  decodeResolved,
  decodeSendme,
  decodeTruncated,
  encodeBegin,
  encodeEnd,
  encodeExtend2,
  encodeResolve,
  encodeSendme,
  type LinkSpecifier,
} from './relay-messages.js'

export { randomInitiatorCircId, type CircuitEvent } from './client-streams.js'

type CircuitState = 'new' | 'creating' | 'extending' | 'open' | 'closed'

export class ClientCircuit {
  private state: CircuitState = 'new'
  private readonly layers: HopCryptoLayer[] = []
  private pending: NtorClientState | undefined
  private readonly relayEarly = new RelayEarlyBudget()
  private readonly circuitDeliver = new DeliverWindow(CIRCUIT_WINDOW)
  private readonly circuitPackage = new PackageWindow(CIRCUIT_WINDOW)
  private readonly streams = new Map<number, ClientStream>()

  constructor(
    private readonly crypto: OnionCrypto,
    private readonly random: Random,
    readonly circId: number,
  ) {}

  get hops(): number {
    return this.layers.length
  }

  get isOpen(): boolean {
    return this.state === 'open'
  }

  get isClosed(): boolean {
    return this.state === 'closed'
  }

  /** CREATE2 with an ntor onionskin for the first hop. */
  create(relay: NtorRelayKey): CircuitEvent[] {
    this.requireState('new')
    const { state, onionskin } = ntorClientStart(this.crypto, relay, this.random.bytes(32))
    this.pending = state
    this.state = 'creating'
    const payload = encodeCreate2({ handshakeType: HandshakeType.NTOR, handshakeData: onionskin })
    return [{ type: 'send', cell: { circId: this.circId, command: CellCommand.CREATE2, payload } }]
  }

  /** EXTEND2 to the last hop, asking it to reach `relay` through `linkSpecifiers`. */
  extend(relay: NtorRelayKey, linkSpecifiers: readonly LinkSpecifier[]): CircuitEvent[] {
    this.requireState('open')
    const budget = this.relayEarly.take()
    if (!budget.ok) return this.close('no RELAY_EARLY left to extend with', budget.error)
    const { state, onionskin } = ntorClientStart(this.crypto, relay, this.random.bytes(32))
    this.pending = state
    this.state = 'extending'
    const data = encodeExtend2({
      linkSpecifiers,
      handshakeType: HandshakeType.NTOR,
      handshakeData: onionskin,
    })
    return [
      this.relayCell(
        this.layers.length - 1,
        { command: RelayCommand.EXTEND2, streamId: 0, data },
        true,
      ),
    ]
  }

  /** BEGIN a stream to host:port at the last hop; returns the stream id with the cells. */
  begin(host: string, port: number): { streamId: number; events: CircuitEvent[] } {
    return this.openStream('connect', RelayCommand.BEGIN, encodeBegin({ host, port, flags: 0 }))
  }

  /** RESOLVE a host name at the exit; the answer arrives as a `resolved` event. */
  resolve(host: string): { streamId: number; events: CircuitEvent[] } {
    return this.openStream('resolve', RelayCommand.RESOLVE, encodeResolve(host))
  }

  /** Queues bytes on a stream and sends what the windows allow. */
  write(streamId: number, bytes: Uint8Array): CircuitEvent[] {
    const stream = this.streams.get(streamId)
    if (stream === undefined || this.state !== 'open')
      return [{ type: 'ignored', detail: `write to stream ${streamId}` }]
    for (let offset = 0; offset < bytes.length; offset += RELAY_DATA_BYTES_MAX)
      stream.queued.push(bytes.slice(offset, offset + RELAY_DATA_BYTES_MAX))
    return this.flush()
  }

  /** Ends a stream once its queued bytes are sent. */
  endStream(streamId: number): CircuitEvent[] {
    const stream = this.streams.get(streamId)
    if (stream === undefined || this.state !== 'open') return []
    stream.endAfterQueue = true
    return this.flush()
  }

  /**
   * Reader backpressure: while a stream is paused its SENDMEs are held, so the exit stops
   * after the stream window (500 cells); resuming sends the SENDMEs that are due.
   */
  pauseStream(streamId: number): void {
    const stream = this.streams.get(streamId)
    if (stream !== undefined) stream.paused = true
  }

  resumeStream(streamId: number): CircuitEvent[] {
    const stream = this.streams.get(streamId)
    if (stream === undefined || this.state !== 'open') return []
    stream.paused = false
    return this.streamSendmes(streamId, stream)
  }

  /** Tears the circuit down from our side. */
  destroy(): CircuitEvent[] {
    if (this.state === 'closed') return []
    this.state = 'closed'
    const payload = Uint8Array.of(0)
    return [
      { type: 'send', cell: { circId: this.circId, command: CellCommand.DESTROY, payload } },
      { type: 'closed', reason: 'destroyed by us' },
    ]
  }

  /** A cell for this circuit arrived from the first hop. */
  receive(cell: Cell): CircuitEvent[] {
    if (this.state === 'closed') return []
    switch (cell.command) {
      case CellCommand.CREATED2:
        return this.onCreated2(cell.payload)
      case CellCommand.RELAY:
      case CellCommand.RELAY_EARLY:
        return this.onRelay(cell.payload)
      case CellCommand.DESTROY: {
        const reason = decodeDestroy(cell.payload)
        this.state = 'closed'
        return [
          {
            type: 'closed',
            reason: `DESTROY from the first hop (reason ${reason.ok ? reason.value : '?'})`,
          },
        ]
      }
      case CellCommand.PADDING:
        return []
      default:
        return this.close(`unexpected cell command ${cell.command}`, {
          code: 'unexpected_message',
          detail: `command ${cell.command}`,
        })
    }
  }

  /**
   * The cells of one read for this circuit, in order: the same events as `receive` cell by
   * cell, with the RELAY cells of an open circuit opened together (`openRunFromHops`).
   */
  receiveRun(cells: readonly Cell[]): CircuitEvent[] {
    const events: CircuitEvent[] = []
    for (let at = 0; at < cells.length && this.state !== 'closed';) {
      let end = at
      while (this.state === 'open' && end < cells.length && isRelay(cells[end] as Cell)) end++
      const step =
        end - at > 1 ? this.onRelayRun(cells.slice(at, end)) : this.receive(cells[at] as Cell)
      for (const event of step) events.push(event)
      at = Math.max(end, at + 1)
    }
    return events
  }

  /** The link under the circuit is gone. */
  linkLost(reason: string): CircuitEvent[] {
    if (this.state === 'closed') return []
    this.state = 'closed'
    return [{ type: 'closed', reason }]
  }

  // --- internals --------------------------------------------------------------------------------

  private openStream(
    kind: ClientStream['kind'],
    command: number,
    data: Uint8Array,
  ): { streamId: number; events: CircuitEvent[] } {
    this.requireState('open')
    let streamId = 0
    while (streamId === 0 || this.streams.has(streamId)) streamId = this.random.int(0xffff) + 1
    this.streams.set(streamId, newClientStream(kind))
    return {
      streamId,
      events: [this.relayCell(this.layers.length - 1, { command, streamId, data }, false)],
    }
  }

  private onCreated2(payload: Uint8Array): CircuitEvent[] {
    if (this.state !== 'creating' || this.pending === undefined)
      return this.close('CREATED2 out of place', { code: 'unexpected_message', detail: 'CREATED2' })
    const reply = decodeCreated2(payload)
    if (!reply.ok) return this.close('bad CREATED2', reply.error)
    return this.addHop(reply.value)
  }

  private addHop(reply: Uint8Array): CircuitEvent[] {
    const pending = this.pending
    if (pending === undefined)
      return this.close('handshake reply without a handshake', {
        code: 'unexpected_message',
        detail: 'reply',
      })
    const keySeed = ntorClientFinish(this.crypto, pending, reply)
    if (!keySeed.ok) return this.close('ntor handshake failed', keySeed.error)
    const keys = splitHopKeys(ntorKeyMaterial(this.crypto, keySeed.value))
    this.layers.push(new HopCryptoLayer(this.crypto, keys, 'client'))
    this.pending = undefined
    this.state = 'open'
    return [{ type: 'hop-added', hops: this.layers.length }]
  }

  private onRelay(payload: Uint8Array): CircuitEvent[] {
    if (this.layers.length === 0)
      return this.close('RELAY before CREATED2', { code: 'unexpected_message', detail: 'RELAY' })
    return this.onOpened(openFromHops(this.layers, payload))
  }

  /**
   * Consecutive RELAY cells of one read while the circuit is open (no EXTENDED2 can change
   * the layers between them): their layers come off one hop at a time for the whole run.
   */
  private onRelayRun(cells: readonly Cell[]): CircuitEvent[] {
    const opened = openRunFromHops(
      this.layers,
      cells.map((cell) => cell.payload),
    )
    const events: CircuitEvent[] = []
    for (const cell of opened) {
      if (this.state === 'closed') break
      for (const event of this.onOpened(cell)) events.push(event)
    }
    return events
  }

  private onOpened(opened: OpenedCell | undefined): CircuitEvent[] {
    if (opened === undefined)
      return this.close('a relay cell failed its digest at every hop', {
        code: 'malformed',
        detail: 'unrecognized relay cell',
      })
    const relay = decodeRelayCell(opened.plaintext)
    if (!relay.ok) return this.close('bad relay cell', relay.error)
    const cell = relay.value
    const lastHop = opened.hop === this.layers.length - 1
    switch (cell.command) {
      case RelayCommand.EXTENDED2: {
        if (this.state !== 'extending' || !lastHop)
          return this.close('EXTENDED2 out of place', {
            code: 'unexpected_message',
            detail: 'EXTENDED2',
          })
        const reply = decodeExtended2(cell.data)
        return reply.ok ? this.addHop(reply.value) : this.close('bad EXTENDED2', reply.error)
      }
      case RelayCommand.TRUNCATED:
        return this.close(
          `TRUNCATED after hop ${opened.hop + 1} (reason ${decodeTruncated(cell.data)})`,
        )
      case RelayCommand.SENDME:
        return this.onSendme(cell)
      case RelayCommand.DROP:
        return []
    }
    if (!lastHop)
      return this.close(`stream command ${cell.command} from hop ${opened.hop + 1}`, {
        code: 'unexpected_message',
        detail: 'stream cell from an inner hop',
      })
    if (cell.command === RelayCommand.DATA) return this.onData(cell, opened.digest)
    const stream = this.streams.get(cell.streamId)
    if (stream === undefined)
      return [
        {
          type: 'ignored',
          detail: `relay command ${cell.command} for unknown stream ${cell.streamId}`,
        },
      ]
    switch (cell.command) {
      case RelayCommand.CONNECTED: {
        const connected = decodeConnected(cell.data)
        if (!connected.ok || stream.kind !== 'connect' || stream.connected)
          return this.endAndForget(cell.streamId, EndReason.TORPROTOCOL, 'bad CONNECTED')
        stream.connected = true
        return [{ type: 'stream-connected', streamId: cell.streamId }, ...this.flush()]
      }
      case RelayCommand.END:
        this.streams.delete(cell.streamId)
        return [{ type: 'stream-ended', streamId: cell.streamId, reason: decodeEnd(cell.data) }]
      case RelayCommand.RESOLVED: {
        const answers = decodeResolved(cell.data)
        this.streams.delete(cell.streamId)
        if (!answers.ok)
          return [{ type: 'stream-ended', streamId: cell.streamId, reason: EndReason.TORPROTOCOL }]
        return [{ type: 'resolved', streamId: cell.streamId, answers: answers.value }]
      }
      default:
        return [{ type: 'ignored', detail: `relay command ${cell.command}` }]
    }
  }

  private onData(cell: RelayCell, digest: Uint8Array): CircuitEvent[] {
    const events: CircuitEvent[] = []
    const circuitStep = this.circuitDeliver.onData()
    if (!circuitStep.ok) return this.close('circuit window overrun', circuitStep.error)
    if (this.circuitDeliver.takeSendme())
      events.push(
        this.relayCell(
          this.layers.length - 1,
          { command: RelayCommand.SENDME, streamId: 0, data: encodeSendme({ version: 1, digest }) },
          false,
        ),
      )
    const stream = this.streams.get(cell.streamId)
    if (stream === undefined || !stream.connected) {
      events.push({ type: 'ignored', detail: `DATA for stream ${cell.streamId} that is not open` })
      return events
    }
    const streamStep = stream.deliver.onData()
    if (!streamStep.ok)
      return [
        ...events,
        ...this.endAndForget(cell.streamId, EndReason.TORPROTOCOL, 'stream window overrun'),
      ]
    events.push({ type: 'stream-data', streamId: cell.streamId, data: cell.data })
    if (!stream.paused) events.push(...this.streamSendmes(cell.streamId, stream))
    return events
  }

  private streamSendmes(streamId: number, stream: ClientStream): CircuitEvent[] {
    const events: CircuitEvent[] = []
    while (stream.deliver.takeSendme())
      events.push(
        this.relayCell(
          this.layers.length - 1,
          { command: RelayCommand.SENDME, streamId, data: new Uint8Array(0) },
          false,
        ),
      )
    return events
  }

  private onSendme(cell: RelayCell): CircuitEvent[] {
    const sendme = decodeSendme(cell.data)
    if (!sendme.ok) return this.close('bad SENDME', sendme.error)
    if (cell.streamId === 0) {
      const accepted = this.circuitPackage.onSendme(
        sendme.value.version === 1 ? sendme.value.digest : undefined,
      )
      if (!accepted.ok) return this.close('circuit SENDME refused', accepted.error)
    } else {
      const stream = this.streams.get(cell.streamId)
      if (stream === undefined)
        return [{ type: 'ignored', detail: `SENDME for stream ${cell.streamId}` }]
      const accepted = stream.package.onSendme()
      if (!accepted.ok)
        return this.endAndForget(cell.streamId, EndReason.TORPROTOCOL, 'stream SENDME overrun')
    }
    return this.flush()
  }

  /** Sends queued stream bytes while both windows are open, then any END that waited. */
  private flush(): CircuitEvent[] {
    const events: CircuitEvent[] = []
    for (const [streamId, stream] of this.streams) {
      if (!stream.connected) continue
      while (stream.queued.length > 0 && stream.package.canSend && this.circuitPackage.canSend) {
        const data = stream.queued.shift() as Uint8Array
        const sent = this.sealed(
          this.layers.length - 1,
          { command: RelayCommand.DATA, streamId, data },
          false,
        )
        this.circuitPackage.onSent(sent.digest)
        stream.package.onSent()
        events.push(sent.event)
      }
      if (stream.queued.length === 0 && stream.endAfterQueue) {
        this.streams.delete(streamId)
        events.push(
          this.relayCell(
            this.layers.length - 1,
            { command: RelayCommand.END, streamId, data: encodeEnd(EndReason.DONE) },
            false,
          ),
        )
      }
    }
    return events
  }

  private endAndForget(streamId: number, reason: number, detail: string): CircuitEvent[] {
    this.streams.delete(streamId)
    return [
      this.relayCell(
        this.layers.length - 1,
        { command: RelayCommand.END, streamId, data: encodeEnd(reason) },
        false,
      ),
      { type: 'stream-ended', streamId, reason },
      { type: 'ignored', detail },
    ]
  }

  private relayCell(hop: number, cell: RelayCell, early: boolean): CircuitEvent {
    return this.sealed(hop, cell, early).event
  }

  private sealed(
    hop: number,
    cell: RelayCell,
    early: boolean,
  ): { event: CircuitEvent; digest: Uint8Array } {
    const plaintext = encodeRelayCell(cell, this.random.bytes(relayPaddingBytes(cell.data.length)))
    const { payload, digest } = sealForHop(this.layers, hop, plaintext)
    const command = early ? CellCommand.RELAY_EARLY : CellCommand.RELAY
    return { event: { type: 'send', cell: { circId: this.circId, command, payload } }, digest }
  }

  private close(reason: string, fault?: RemoteFault): CircuitEvent[] {
    if (this.state === 'closed') return []
    this.state = 'closed'
    // DESTROY reason 1 is PROTOCOL: tell the first hop to tear the rest down.
    const destroy: CircuitEvent = {
      type: 'send',
      cell: {
        circId: this.circId,
        command: CellCommand.DESTROY,
        payload: Uint8Array.of(fault === undefined ? 0 : 1),
      },
    }
    return [
      destroy,
      fault === undefined ? { type: 'closed', reason } : { type: 'closed', reason, fault },
    ]
  }

  private requireState(expected: CircuitState): void {
    if (this.state !== expected) throw new RangeError(`circuit is ${this.state}, not ${expected}`)
  }
}
