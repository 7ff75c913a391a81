import type { Hashing } from '../../core/env.js'
import type { Instant } from '../../core/time.js'
import type { Ed25519 } from './ed25519.js'
import type { KrpcResponseBody, NodeInfo } from './messages.js'
import type { DhtEvent, Operation } from './operation.js'
import { collectResponse } from './operation-messages.js'
import type { Pending } from './requests.js'

/**
 * How the answer to one of an operation's requests moves the operation on: a response
 * feeds the lookup (closer nodes, tokens, peers, values) or counts a store, ping or sample
 * done; a timeout or error counts the request failed. The node then advances the operation.
 */

/** What a response's handling needs from the node: its hashing, ed25519 and event output. */
export interface ReplyContext {
  readonly hashing: Hashing
  readonly ed25519: Ed25519 | undefined
  readonly emit: (event: DhtEvent) => void
}

/** A response from `p.to`; `nodes` are the body's nodes of both families. */
export function settleResponse(
  now: Instant,
  p: Pending,
  op: Operation,
  body: KrpcResponseBody,
  nodes: readonly NodeInfo[],
  context: ReplyContext,
): void {
  if (p.role === 'ping' || p.role === 'sample') {
    op.pinged = { id: body.id, address: p.to }
    op.storesPending--
    if (p.role === 'sample') {
      context.emit({
        type: 'samples',
        handle: op.handle,
        from: op.pinged,
        interval: body.interval,
        num: body.num,
        samples: body.samples ?? [],
        nodes,
      })
    }
  } else if (p.role === 'store') {
    op.stored++
    op.storesPending--
  } else if (op.phase === 'lookup') {
    if (p.role === 'seed') {
      op.unseeded--
      op.lookup.add(nodes, 1)
    } else {
      const candidate = op.lookup.responded(p.key, body.token, body.id)
      const depth = candidate?.depth ?? op.lookup.depthOf(p.key)
      if (depth !== undefined) op.lookup.add(nodes, depth + 1)
    }
    for (const event of collectResponse(op, body, context.hashing, context.ed25519)) {
      if (event.type === 'peers') op.firstPeersAt ??= now
      context.emit(event)
    }
  }
}

/** A request of the operation timed out or was refused with an error. */
export function settleFailure(p: Pending): void {
  const op = p.op as Operation
  if (p.role === 'lookup') op.lookup.failed(p.key)
  else if (p.role === 'seed') op.unseeded--
  else op.storesPending--
}
