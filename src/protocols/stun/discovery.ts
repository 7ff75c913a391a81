/**
 * NAT behaviour discovery (RFC 5780 sections 4.3 and 4.4, in RFC 4787's terms) as a sans-IO
 * state machine over one UDP socket and an RFC 5780 server (primary A1:P1, OTHER-ADDRESS
 * A2:P2). The tests run one after another, filtering before mapping, because a request to A2
 * opens the NAT's filter towards A2 and would make a port- or address-restricted filter look
 * open:
 *
 *   1. Binding to A1:P1: mapped address M1 and OTHER-ADDRESS. M1 equal to a local address
 *      means no NAT.
 *   2. Binding to A1:P1 asking for an answer from A2:P2 (CHANGE-REQUEST ip+port). An answer
 *      means endpoint-independent filtering.
 *   3. Else the same asking for A1:P2 (port only). An answer means address-dependent
 *      filtering, none address-and-port-dependent.
 *   4. Binding to A2:P1: M2 = M1 means endpoint-independent mapping.
 *   5. Else binding to A2:P2: M3 = M2 means address-dependent mapping, else
 *      address-and-port-dependent.
 */
import { sameAddress, type Address } from '../../core/address.js'
import type { Random } from '../../core/random.js'
import { ms, type Instant } from '../../core/time.js'
import { decodeStun, findAttribute, type DecodedStun } from './codec.js'
import { StunMethod } from './constants.js'
import type { StunAttribute } from './attributes.js'
import {
  StunClientTransactions,
  type RetransmitConfig,
  type TransactionOutput,
} from './transactions.js'

export type MappingBehaviour =
  /** The mapped address is our own: no NAT on the path. */
  'no-nat' | 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent' | 'unknown'

export type FilteringBehaviour =
  'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent' | 'unknown'

export interface NatReport {
  readonly server: Address
  /** Our reflexive address as the server saw it (test 1). */
  readonly mapped?: Address
  readonly otherAddress?: Address
  /** The server answered with OTHER-ADDRESS, so the RFC 5780 tests could run. */
  readonly rfc5780: boolean
  readonly mapping: MappingBehaviour
  readonly filtering: FilteringBehaviour
  /**
   * Whether a stranger can reach us at `mapped` without our sending to it first: no NAT or an
   * endpoint-independent mapping, and endpoint-independent filtering.
   */
  readonly reachable: boolean
  /** Why a behaviour is 'unknown'. */
  readonly error?: string
}

export interface DiscoveryConfig {
  readonly server: Address
  /** The socket's own addresses (every interface address with its port when bound to any). */
  readonly local: readonly Address[]
  /**
   * The schedule of each test. A filtering test that gets no answer waits for all of it, so
   * this is shorter than RFC 8489's 39.5 s: 3 requests and 3.5 s in all by default.
   */
  readonly retransmit?: RetransmitConfig
  readonly software?: string
}

export const DISCOVERY_RETRANSMIT: RetransmitConfig = { rto: ms(500), rc: 3, rm: 4 }

type Step = 'mapping-1' | 'filtering-2' | 'filtering-3' | 'mapping-2' | 'mapping-3' | 'done'

export type DiscoveryOutput =
  | { readonly type: 'send'; readonly to: Address; readonly bytes: Uint8Array }
  | { readonly type: 'done'; readonly report: NatReport }

export class NatBehaviourDiscovery {
  private readonly transactions: StunClientTransactions
  private step: Step = 'mapping-1'
  private current: string | undefined
  private outputs: DiscoveryOutput[] = []
  private mapped: Address | undefined
  private secondMapped: Address | undefined
  private otherAddress: Address | undefined
  private mapping: MappingBehaviour = 'unknown'
  private filtering: FilteringBehaviour = 'unknown'
  private error: string | undefined

  constructor(
    random: Random,
    private readonly config: DiscoveryConfig,
  ) {
    this.transactions = new StunClientTransactions(
      random,
      config.retransmit ?? DISCOVERY_RETRANSMIT,
    )
  }

  get done(): boolean {
    return this.step === 'done'
  }

  start(now: Instant): void {
    this.ask(now, this.config.server)
    this.drain(now)
  }

  /** Feed every datagram the socket receives; returns false for one that is not ours. */
  receive(now: Instant, from: Address, bytes: Uint8Array): boolean {
    const decoded = decodeStun(bytes)
    if (!decoded.ok || !this.transactions.receive(now, from, decoded.value)) return false
    this.drain(now)
    return true
  }

  timeout(now: Instant): void {
    this.transactions.timeout(now)
    this.drain(now)
  }

  nextTimeout(): Instant | undefined {
    return this.done ? undefined : this.transactions.nextTimeout()
  }

  takeOutputs(): DiscoveryOutput[] {
    const taken = this.outputs
    this.outputs = []
    return taken
  }

  private ask(now: Instant, to: Address, change?: { ip: boolean; port: boolean }): void {
    const attributes: StunAttribute[] = []
    if (change !== undefined) {
      attributes.push({ type: 'change-request', changeIp: change.ip, changePort: change.port })
    }
    if (this.config.software !== undefined) {
      attributes.push({ type: 'software', value: this.config.software })
    }
    this.current = this.transactions.start(
      now,
      to,
      { method: StunMethod.Binding, messageClass: 'request', attributes },
      { fingerprint: true },
    )
  }

  /** Moves the transactions' outputs to ours; a step may start the next test's transaction. */
  private drain(now: Instant): void {
    for (
      let batch = this.transactions.takeOutputs();
      batch.length > 0;
      batch = this.transactions.takeOutputs()
    ) {
      this.drainBatch(now, batch)
    }
  }

  private drainBatch(now: Instant, batch: readonly TransactionOutput[]): void {
    for (const output of batch) {
      if (output.type === 'send') this.outputs.push(output)
      else if (output.id === this.current) {
        this.advance(
          now,
          output.type === 'response' ? { from: output.from, message: output.response } : undefined,
        )
      }
    }
  }

  private advance(now: Instant, answer: { from: Address; message: DecodedStun } | undefined): void {
    const { server } = this.config
    const failure = answer === undefined ? undefined : this.failureOf(answer.message)
    switch (this.step) {
      case 'mapping-1': {
        const mapped = answer === undefined ? undefined : this.mappedOf(answer.message)
        if (answer === undefined || failure !== undefined || mapped === undefined) {
          return this.finish(
            failure ?? (answer === undefined ? 'no answer from the server' : 'no mapped address'),
          )
        }
        this.mapped = mapped
        this.otherAddress = findAttribute(answer.message, 'other-address')?.address
        const natted = !this.config.local.some((local) => sameAddress(local, mapped))
        if (!natted) this.mapping = 'no-nat'
        if (this.otherAddress === undefined)
          return this.finish('the server does not support RFC 5780')
        this.step = 'filtering-2'
        return this.ask(now, server, { ip: true, port: true })
      }
      case 'filtering-2':
        if (answer !== undefined && failure === undefined) {
          if (sameAddress(answer.from, server))
            return this.finish('the server ignored CHANGE-REQUEST')
          this.filtering = 'endpoint-independent'
          return this.startMapping(now)
        }
        this.step = 'filtering-3'
        return this.ask(now, server, { ip: false, port: true })
      case 'filtering-3':
        this.filtering =
          answer !== undefined && failure === undefined
            ? 'address-dependent'
            : 'address-and-port-dependent'
        return this.startMapping(now)
      case 'mapping-2': {
        const mapped = answer === undefined ? undefined : this.mappedOf(answer.message)
        if (mapped === undefined)
          return this.finish(failure ?? 'no answer from the alternate address')
        if (this.mapped !== undefined && sameAddress(mapped, this.mapped)) {
          this.mapping = 'endpoint-independent'
          return this.finish()
        }
        this.secondMapped = mapped
        this.step = 'mapping-3'
        return this.ask(now, this.otherAddress as Address)
      }
      case 'mapping-3': {
        const mapped = answer === undefined ? undefined : this.mappedOf(answer.message)
        if (mapped === undefined)
          return this.finish(failure ?? 'no answer from the alternate address')
        this.mapping =
          this.secondMapped !== undefined && sameAddress(mapped, this.secondMapped)
            ? 'address-dependent'
            : 'address-and-port-dependent'
        return this.finish()
      }
      case 'done':
        return
    }
  }

  private startMapping(now: Instant): void {
    if (this.mapping === 'no-nat') return this.finish()
    this.step = 'mapping-2'
    const other = this.otherAddress as Address
    this.ask(now, { host: other.host, port: this.config.server.port })
  }

  private mappedOf(message: DecodedStun): Address | undefined {
    if (message.messageClass !== 'success') return undefined
    return (
      findAttribute(message, 'xor-mapped-address') ?? findAttribute(message, 'mapped-address')
    )?.address
  }

  private failureOf(message: DecodedStun): string | undefined {
    if (message.messageClass === 'success') return undefined
    const code = findAttribute(message, 'error-code')
    return `error ${code?.code ?? '?'} ${code?.reason ?? ''}`.trim()
  }

  private finish(error?: string): void {
    this.step = 'done'
    if (error !== undefined) this.error = error
    if (this.current !== undefined) this.transactions.cancel(this.current)
    const mapping = this.mapping
    const reachable =
      this.filtering === 'endpoint-independent' &&
      (mapping === 'no-nat' || mapping === 'endpoint-independent')
    this.outputs.push({
      type: 'done',
      report: {
        server: this.config.server,
        ...(this.mapped === undefined ? {} : { mapped: this.mapped }),
        ...(this.otherAddress === undefined ? {} : { otherAddress: this.otherAddress }),
        rfc5780: this.otherAddress !== undefined,
        mapping,
        filtering: this.filtering,
        reachable,
        ...(this.error === undefined ? {} : { error: this.error }),
      },
    })
  }
}
