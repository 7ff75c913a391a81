import { sameAddress, type Address } from '../../core/address.js'
import type { Random } from '../../core/random.js'
import { after, ms, type Instant } from '../../core/time.js'
import { findAttribute, type DecodedStun } from '../stun/index.js'
import { bindingRequest } from './binding.js'
import { makeCandidate, type Candidate } from './candidate.js'
import type { AgentConfig } from './config.js'
import { candidateToDescription, type SessionDescription } from './description.js'
import type { RelayLeg } from './relay-leg.js'
import type { StunTransactions, Transaction } from './transactions.js'

/**
 * Gathering (RFC 8445 section 5.1): the host candidates the driver names, a server-reflexive
 * candidate from each STUN server's Binding answer, a relayed candidate from the relay leg.
 * Gathering is over when every server and the relay have answered or given up, or at
 * `gatherTimeoutMs`; the agent then sends its description.
 */
export class Gatherer {
  private readonly locals: Candidate[] = []
  private deadline: Instant | undefined

  constructor(
    private readonly config: AgentConfig,
    private readonly random: Random,
    private readonly transactions: StunTransactions,
    private readonly relay: RelayLeg,
  ) {}

  /** Host candidates now; returns the Binding requests to the STUN servers, to transmit. */
  start(now: Instant, hosts: readonly Address[]): Transaction[] {
    for (const address of hosts) this.locals.push(makeCandidate('host', address, 'host'))
    this.deadline = after(now, ms(this.config.gatherTimeoutMs))
    const requests = this.config.stunServers.map((server) => {
      const request = bindingRequest(this.random, [])
      const purpose = { kind: 'gather', server } as const
      return this.transactions.begin(now, purpose, request.id, request.bytes, 'host', server)
    })
    this.relay.start(now)
    return requests
  }

  /** A STUN server's answer: its XOR-MAPPED-ADDRESS is a server-reflexive candidate if new. */
  answered(message: DecodedStun): void {
    if (message.messageClass !== 'success') return
    const mapped = findAttribute(message, 'xor-mapped-address')?.address
    if (mapped === undefined || this.locals.some((c) => sameAddress(c.address, mapped))) return
    this.locals.push(makeCandidate('srflx', mapped, 'host'))
  }

  /** The relay leg allocated an address for us. */
  relayed(address: Address): void {
    this.locals.push(makeCandidate('relay', address, 'relay'))
  }

  /**
   * True once gathering is over (every request answered or failed, or the deadline passed);
   * what is still outstanding is then given up.
   */
  finish(now: Instant, tcpGathering = false): boolean {
    const waiting =
      this.transactions.some((t) => t.purpose.kind === 'gather') ||
      this.relay.pending ||
      tcpGathering
    const timedOut = this.deadline !== undefined && now >= this.deadline
    if (waiting && !timedOut) return false
    this.transactions.deleteWhere((t) => t.purpose.kind === 'gather')
    this.relay.abandon()
    return true
  }

  nextTimeout(): Instant | undefined {
    return this.deadline
  }

  /** One local candidate per base: the host socket and, if allocated, the relay. */
  bases(): Candidate[] {
    const host = this.locals.find((c) => c.type === 'host')
    const relay = this.locals.find((c) => c.type === 'relay')
    return [host, relay].filter((c): c is Candidate => c !== undefined)
  }

  description(ufrag: string, pwd: string): SessionDescription {
    return { ufrag, pwd, candidates: this.locals.map(candidateToDescription) }
  }
}
