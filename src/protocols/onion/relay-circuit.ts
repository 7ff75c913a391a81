/**
 * A relay's side of one circuit, sans-IO: after CREATE2 (RelayHop answers the ntor
 * handshake) it routes every cell from the previous hop, either on to the next hop (this
 * relay's layer removed) or to itself when recognized: EXTEND2 (asks the driver to open the
 * next hop), BEGIN (the exit: asks the driver to connect when the exit policy allows, else
 * END with reason EXITPOLICY), BEGIN_DIR (a tunnelled directory request: the driver connects
 * the stream to a directory when this relay serves one, else END NOTDIRECTORY), DATA, END,
 * SENDME, RESOLVE (literal addresses only: the exit never looks a name up). Cells from the next hop go back with this relay's layer added.
 * Circuit (1000/100, SENDME v1) and stream (500/50) windows hold for what the exit sends and
 * receives. Inputs are method calls; outputs are actions for the driver. Any violation
 * closes the circuit once, both ways.
 */
import type { RemoteFault } from '../../core/errors.js'
import type { Random } from '../../core/random.js'
import { ok, type Result } from '../../core/result.js'
import { CellCommand } from './cell.js'
import { DestroyReason, decodeCreated2 } from './control-cells.js'
import type { OnionCrypto } from './crypto-port.js'
import { ipv4ToNumber } from './directory/exit-policy.js'
import { CIRCUIT_WINDOW, DeliverWindow, PackageWindow, STREAM_WINDOW } from './flow-control.js'
import type { NtorRelaySecret } from './ntor.js'
import { RELAY_DATA_BYTES_MAX, RelayCommand, type RelayCell } from './relay-cell.js'
import { RelayHop } from './relay-hop.js'
import {
  EndReason,
  decodeBegin,
  decodeExtend2,
  decodeResolve,
  decodeSendme,
  encodeConnected,
  encodeEnd,
  encodeExtended2,
  encodeResolved,
  encodeSendme,
  encodeTruncated,
  type ResolvedAnswer,
} from './relay-messages.js'
import type { RelayCircuitAction, RelayCircuitOptions } from './relay-circuit-actions.js'

export type { RelayCircuitAction, RelayCircuitOptions } from './relay-circuit-actions.js'

interface ExitStream {
  connected: boolean
  /** A BEGIN_DIR stream: its CONNECTED carries no address (tor-spec §6.2). */
  readonly directory: boolean
  readonly deliver: DeliverWindow
  readonly package: PackageWindow
  /** Bytes read from TCP and not yet packaged into DATA cells. */
  queued: Uint8Array[]
  endAfterQueue: boolean
  paused: boolean
  /** The destination is not taking our writes: stream SENDMEs wait until it drains. */
  writeBlocked: boolean
}

type NextHop = 'none' | 'extending' | 'extended'

const newStream = (directory: boolean): ExitStream => ({
  connected: false,
  directory,
  deliver: new DeliverWindow(STREAM_WINDOW),
  package: new PackageWindow(STREAM_WINDOW),
  queued: [],
  endAfterQueue: false,
  paused: false,
  writeBlocked: false,
})

const isIpLiteral = (host: string): boolean => ipv4ToNumber(host) !== undefined

const describe = (fault: RemoteFault): string => ('detail' in fault ? fault.detail : fault.code)

export class RelayCircuit {
  private next: NextHop = 'none'
  private closed = false
  private readonly streams = new Map<number, ExitStream>()
  private readonly circuitDeliver = new DeliverWindow(CIRCUIT_WINDOW)
  private readonly circuitPackage = new PackageWindow(CIRCUIT_WINDOW)

  private constructor(
    private readonly hop: RelayHop,
    private readonly options: RelayCircuitOptions,
  ) {}

  /** Answers CREATE2: the circuit and the CREATED2 payload, or the fault. */
  static accept(
    crypto: OnionCrypto,
    random: Random,
    secret: NtorRelaySecret,
    create2Payload: Uint8Array,
    options: RelayCircuitOptions,
  ): Result<{ circuit: RelayCircuit; created: Uint8Array }, RemoteFault> {
    return RelayCircuit.withHop(options, (hasNextHop) => {
      const accepted = RelayHop.accept(crypto, random, secret, create2Payload, hasNextHop)
      return accepted.ok
        ? ok({ hop: accepted.value.hop, created: accepted.value.created2 })
        : accepted
    })
  }

  /** Answers CREATE_FAST (a first hop only): the circuit and the CREATED_FAST payload. */
  static acceptFast(
    crypto: OnionCrypto,
    random: Random,
    createFastPayload: Uint8Array,
    options: RelayCircuitOptions,
  ): Result<{ circuit: RelayCircuit; created: Uint8Array }, RemoteFault> {
    return RelayCircuit.withHop(options, (hasNextHop) => {
      const accepted = RelayHop.acceptFast(crypto, random, createFastPayload, hasNextHop)
      return accepted.ok
        ? ok({ hop: accepted.value.hop, created: accepted.value.createdFast })
        : accepted
    })
  }

  private static withHop(
    options: RelayCircuitOptions,
    makeHop: (
      hasNextHop: () => boolean,
    ) => Result<{ hop: RelayHop; created: Uint8Array }, RemoteFault>,
  ): Result<{ circuit: RelayCircuit; created: Uint8Array }, RemoteFault> {
    // The hop asks whether a next hop exists; the circuit it belongs to is made just after.
    const holder: { circuit?: RelayCircuit } = {}
    const made = makeHop(() => holder.circuit?.next === 'extended')
    if (!made.ok) return made
    const circuit = new RelayCircuit(made.value.hop, options)
    holder.circuit = circuit
    return ok({ circuit, created: made.value.created })
  }

  get isClosed(): boolean {
    return this.closed
  }

  get hasNextHop(): boolean {
    return this.next !== 'none'
  }

  get openStreams(): number {
    return this.streams.size
  }

  /** A cell from the previous hop (the client's side). */
  fromPrevious(command: number, payload: Uint8Array): RelayCircuitAction[] {
    if (this.closed) return []
    if (command === CellCommand.DESTROY) return this.close('DESTROY from the previous hop', false)
    if (command !== CellCommand.RELAY && command !== CellCommand.RELAY_EARLY)
      return this.violation(`cell command ${command} on an open circuit`)
    const outcome = this.hop.fromClient(command, payload)
    if (outcome.type === 'refused') return this.violation(describe(outcome.fault))
    if (outcome.type === 'pass-forward')
      return [{ type: 'to-next', command: outcome.command, payload: outcome.payload }]
    return this.recognized(outcome.cell, outcome.early, outcome.digest)
  }

  /** A cell from the next hop: relay cells go back with our layer; DESTROY truncates. */
  fromNext(command: number, payload: Uint8Array): RelayCircuitAction[] {
    if (this.closed) return []
    if (command === CellCommand.RELAY || command === CellCommand.RELAY_EARLY)
      return [
        {
          type: 'to-previous',
          command: CellCommand.RELAY,
          payload: this.hop.passBackward(payload),
        },
      ]
    if (command === CellCommand.DESTROY) {
      this.next = 'none'
      return this.sendToClient({
        command: RelayCommand.TRUNCATED,
        streamId: 0,
        data: encodeTruncated(payload[0] ?? DestroyReason.NONE),
      })
    }
    return [{ type: 'refused', detail: `cell command ${command} from the next hop` }]
  }

  /** The next hop answered our CREATE2 with this CREATED2 payload. */
  extended(created2Payload: Uint8Array): RelayCircuitAction[] {
    if (this.closed || this.next !== 'extending') return []
    const reply = decodeCreated2(created2Payload)
    if (!reply.ok) return this.extendFailed('CREATED2 unreadable')
    this.next = 'extended'
    return this.sendToClient({
      command: RelayCommand.EXTENDED2,
      streamId: 0,
      data: encodeExtended2(reply.value),
    })
  }

  /** The link to the next hop could not be opened, or it refused CREATE2. */
  extendFailed(detail: string): RelayCircuitAction[] {
    if (this.closed || this.next !== 'extending') return []
    this.next = 'none'
    return [
      { type: 'refused', detail: `EXTEND2 failed: ${detail}` },
      ...this.sendToClient({
        command: RelayCommand.TRUNCATED,
        streamId: 0,
        data: encodeTruncated(DestroyReason.CONNECTFAILED),
      }),
    ]
  }

  streamConnected(streamId: number, address: Uint8Array): RelayCircuitAction[] {
    const stream = this.streams.get(streamId)
    if (this.closed || stream === undefined) return []
    stream.connected = true
    return [
      ...this.sendToClient({
        command: RelayCommand.CONNECTED,
        streamId,
        // tor-spec §6.2: the CONNECTED answering BEGIN_DIR carries no address.
        data: stream.directory ? new Uint8Array(0) : encodeConnected({ address, ttl: 300 }),
      }),
      ...this.flush(streamId),
    ]
  }

  streamFailed(streamId: number, reason: number): RelayCircuitAction[] {
    if (this.closed || !this.streams.delete(streamId)) return []
    return this.sendToClient({ command: RelayCommand.END, streamId, data: encodeEnd(reason) })
  }

  /** Bytes read from the exit's TCP connection. */
  streamData(streamId: number, data: Uint8Array): RelayCircuitAction[] {
    const stream = this.streams.get(streamId)
    if (this.closed || stream === undefined) return []
    stream.queued.push(data)
    return this.flush(streamId)
  }

  /** The destination closed its side: END once everything read has been sent. */
  streamEnded(streamId: number): RelayCircuitAction[] {
    const stream = this.streams.get(streamId)
    if (this.closed || stream === undefined) return []
    stream.endAfterQueue = true
    return this.flush(streamId)
  }

  /** The driver lost the previous link (or shuts down): tear everything down. */
  destroy(reason: string): RelayCircuitAction[] {
    return this.close(reason, false)
  }

  private recognized(cell: RelayCell, early: boolean, digest: Uint8Array): RelayCircuitAction[] {
    switch (cell.command) {
      case RelayCommand.EXTEND2:
        return this.onExtend2(cell, early)
      case RelayCommand.EXTEND:
        return this.violation('EXTEND (TAP) is not supported; use EXTEND2')
      case RelayCommand.BEGIN:
        return this.onBegin(cell)
      case RelayCommand.BEGIN_DIR:
        return this.onBeginDir(cell)
      case RelayCommand.DATA:
        return this.onData(cell, digest)
      case RelayCommand.SENDME:
        return this.onSendme(cell)
      case RelayCommand.END:
        return this.streams.delete(cell.streamId)
          ? [{ type: 'close-stream', streamId: cell.streamId }]
          : []
      case RelayCommand.RESOLVE:
        return this.onResolve(cell)
      case RelayCommand.DROP:
        return []
      default:
        return [{ type: 'refused', detail: `relay command ${cell.command} ignored` }]
    }
  }

  private onExtend2(cell: RelayCell, early: boolean): RelayCircuitAction[] {
    // tor-spec §5.6: EXTEND2 outside RELAY_EARLY is a protocol violation.
    if (!early) return this.violation('EXTEND2 in a RELAY cell, not RELAY_EARLY')
    if (this.next !== 'none') return this.violation('EXTEND2 on a circuit that already extends')
    const extend = decodeExtend2(cell.data)
    if (!extend.ok) return this.violation(describe(extend.error))
    const hasAddress = extend.value.linkSpecifiers.some((spec) => spec.type === 'ipv4')
    const hasId = extend.value.linkSpecifiers.some((spec) => spec.type === 'legacy-id')
    if (!hasAddress || !hasId) return this.violation('EXTEND2 without IPv4 address and legacy id')
    this.next = 'extending'
    const create2 = new Uint8Array(4 + extend.value.handshakeData.length)
    create2[0] = extend.value.handshakeType >> 8
    create2[1] = extend.value.handshakeType & 255
    create2[2] = extend.value.handshakeData.length >> 8
    create2[3] = extend.value.handshakeData.length & 255
    create2.set(extend.value.handshakeData, 4)
    return [{ type: 'extend', linkSpecifiers: extend.value.linkSpecifiers, create2 }]
  }

  private onBegin(cell: RelayCell): RelayCircuitAction[] {
    if (cell.streamId === 0) return this.violation('BEGIN on stream 0')
    if (this.streams.has(cell.streamId))
      return [{ type: 'refused', detail: `BEGIN for open stream ${cell.streamId}` }]
    const begin = decodeBegin(cell.data)
    const end = (reason: number): RelayCircuitAction[] =>
      this.sendToClient({
        command: RelayCommand.END,
        streamId: cell.streamId,
        data: encodeEnd(reason),
      })
    if (!begin.ok) return end(EndReason.TORPROTOCOL)
    const { host, port } = begin.value
    // Names are never looked up at this exit: only address literals the policy allows.
    if (!isIpLiteral(host) || !this.options.exitAllows(host, port))
      return [
        { type: 'refused', detail: `BEGIN ${host}:${port} refused by the exit policy` },
        ...end(EndReason.EXITPOLICY),
      ]
    this.streams.set(cell.streamId, newStream(false))
    return [{ type: 'connect', streamId: cell.streamId, host, port }]
  }

  private onBeginDir(cell: RelayCell): RelayCircuitAction[] {
    if (cell.streamId === 0) return this.violation('BEGIN_DIR on stream 0')
    if (this.streams.has(cell.streamId))
      return [{ type: 'refused', detail: `BEGIN_DIR for open stream ${cell.streamId}` }]
    if (this.options.servesDirectory !== true)
      return this.sendToClient({
        command: RelayCommand.END,
        streamId: cell.streamId,
        data: encodeEnd(EndReason.NOTDIRECTORY),
      })
    this.streams.set(cell.streamId, newStream(true))
    return [{ type: 'connect-directory', streamId: cell.streamId }]
  }

  private onData(cell: RelayCell, digest: Uint8Array): RelayCircuitAction[] {
    const circuitWindow = this.circuitDeliver.onData()
    if (!circuitWindow.ok) return this.violation(describe(circuitWindow.error))
    const actions: RelayCircuitAction[] = []
    if (this.circuitDeliver.takeSendme())
      actions.push(
        ...this.sendToClient({
          command: RelayCommand.SENDME,
          streamId: 0,
          data: encodeSendme({ version: 1, digest }),
        }),
      )
    const stream = this.streams.get(cell.streamId)
    if (stream === undefined || !stream.connected)
      return [...actions, { type: 'refused', detail: `DATA for stream ${cell.streamId} not open` }]
    const streamWindow = stream.deliver.onData()
    if (!streamWindow.ok) return this.violation(describe(streamWindow.error))
    actions.push({ type: 'write', streamId: cell.streamId, data: cell.data })
    if (!stream.writeBlocked) actions.push(...this.owedStreamSendmes(cell.streamId, stream))
    return actions
  }

  /**
   * The destination's TCP connection stopped taking writes (its buffer is full). Until it
   * drains, no stream SENDME goes back, so the client can have at most one stream window
   * (500 cells) in flight toward a slow destination and the exit buffers no more than that.
   */
  streamWriteBlocked(streamId: number): void {
    const stream = this.streams.get(streamId)
    if (stream !== undefined) stream.writeBlocked = true
  }

  /** The destination drained: the SENDMEs held back go out now. */
  streamWriteDrained(streamId: number): RelayCircuitAction[] {
    const stream = this.streams.get(streamId)
    if (this.closed || stream === undefined) return []
    stream.writeBlocked = false
    return this.owedStreamSendmes(streamId, stream)
  }

  private owedStreamSendmes(streamId: number, stream: ExitStream): RelayCircuitAction[] {
    const actions: RelayCircuitAction[] = []
    while (stream.deliver.takeSendme())
      actions.push(
        ...this.sendToClient({
          command: RelayCommand.SENDME,
          streamId,
          data: encodeSendme({ version: 0 }),
        }),
      )
    return actions
  }

  private onSendme(cell: RelayCell): RelayCircuitAction[] {
    if (cell.streamId === 0) {
      const sendme = decodeSendme(cell.data)
      if (!sendme.ok) return this.violation(describe(sendme.error))
      const opened = this.circuitPackage.onSendme(
        sendme.value.version === 1 ? sendme.value.digest : undefined,
      )
      if (!opened.ok) return this.violation(describe(opened.error))
      return [...this.streams.keys()].flatMap((streamId) => this.flush(streamId))
    }
    const stream = this.streams.get(cell.streamId)
    if (stream === undefined) return []
    const opened = stream.package.onSendme()
    if (!opened.ok) return this.violation(describe(opened.error))
    return this.flush(cell.streamId)
  }

  private onResolve(cell: RelayCell): RelayCircuitAction[] {
    const name = decodeResolve(cell.data)
    const answer: ResolvedAnswer =
      name.ok && isIpLiteral(name.value)
        ? {
            type: 'ipv4',
            address: Uint8Array.from(name.value.split('.').map(Number)),
            ttl: 300,
          }
        : // 0xF1: non-transient error. This exit resolves nothing but address literals.
          { type: 'error', code: 0xf1, ttl: 0 }
    return this.sendToClient({
      command: RelayCommand.RESOLVED,
      streamId: cell.streamId,
      data: encodeResolved([answer]),
    })
  }

  /** Packages queued TCP bytes into DATA cells while both windows are open. */
  private flush(streamId: number): RelayCircuitAction[] {
    const stream = this.streams.get(streamId)
    if (stream === undefined || !stream.connected) return []
    const actions: RelayCircuitAction[] = []
    while (stream.queued.length > 0 && this.circuitPackage.canSend && stream.package.canSend) {
      const head = stream.queued[0] as Uint8Array
      const chunk = head.subarray(0, RELAY_DATA_BYTES_MAX)
      if (chunk.length === head.length) stream.queued.shift()
      else stream.queued[0] = head.subarray(chunk.length)
      const sealed = this.hop.sealToClient({ command: RelayCommand.DATA, streamId, data: chunk })
      this.circuitPackage.onSent(sealed.digest)
      stream.package.onSent()
      actions.push({ type: 'to-previous', command: CellCommand.RELAY, payload: sealed.payload })
    }
    if (stream.queued.length > 0 && !stream.paused) {
      stream.paused = true
      actions.push({ type: 'pause-stream', streamId })
    } else if (stream.queued.length === 0 && stream.paused) {
      stream.paused = false
      actions.push({ type: 'resume-stream', streamId })
    }
    if (stream.queued.length === 0 && stream.endAfterQueue) {
      this.streams.delete(streamId)
      actions.push(
        ...this.sendToClient({
          command: RelayCommand.END,
          streamId,
          data: encodeEnd(EndReason.DONE),
        }),
        { type: 'close-stream', streamId },
      )
    }
    return actions
  }

  private sendToClient(cell: RelayCell): RelayCircuitAction[] {
    return [{ type: 'to-previous', command: CellCommand.RELAY, payload: this.hop.toClient(cell) }]
  }

  private violation(detail: string): RelayCircuitAction[] {
    return [{ type: 'refused', detail }, ...this.close(detail, true)]
  }

  private close(reason: string, destroyPrevious: boolean): RelayCircuitAction[] {
    if (this.closed) return []
    this.closed = true
    const streams = [...this.streams.keys()]
    this.streams.clear()
    return [
      ...streams.map((streamId): RelayCircuitAction => ({ type: 'close-stream', streamId })),
      { type: 'closed', reason, destroyPrevious },
    ]
  }
}
