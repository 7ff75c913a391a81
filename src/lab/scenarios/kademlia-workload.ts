import { utf8 } from '../../core/bytes.js'
import { randomId } from '../../core/id.js'
import { NodeHashing } from '../../drivers/node/hashing.js'
import { immutableTarget, mutableTarget } from '../../protocols/kademlia/index.js'
import type { KademliaRun } from './kademlia-run.js'

/**
 * Schedules the measured work from `start`, spread over `spanMs`: find_node lookups for random
 * targets from random live nodes; announces, each looked up from elsewhere 20 s later; BEP 44
 * items (immutable and mutable, alternating), each read from another node 20 s later.
 */
export function scheduleWorkload(run: KademliaRun, start: number, spanMs: number): void {
  const { p } = run
  for (let i = 0; i < p.lookups; i++) {
    run.at(start + (spanMs * i) / Math.max(1, p.lookups), () => {
      const { index, node } = run.randomLiveNode()
      const target = randomId(run.pick)
      node.lookup(target, (done) => run.finishLookup(index, target, done))
    })
  }
  for (let i = 0; i < p.announces; i++) {
    const infoHash = randomId(run.pick)
    const t0 = start + (spanMs * i) / Math.max(1, p.announces)
    run.at(t0, () => {
      run.randomLiveNode().node.announce(infoHash, 7000 + i, {}, () => undefined)
    })
    run.at(t0 + 20_000, () => {
      run.randomLiveNode().node.getPeers(
        infoHash,
        () => undefined,
        (done) => {
          if (done.peersFound > 0) run.announcesFound++
          const first = done.trace.firstPeersAt
          if (first !== undefined) run.firstPeers.push(first - done.trace.startedAt)
        },
      )
    })
  }
  const hashing = new NodeHashing()
  for (let i = 0; i < p.items; i++) {
    const t0 = start + (spanMs * i) / Math.max(1, p.items)
    const value = utf8(`item ${i} of seed ${run.seed}`)
    const seedBytes = run.pick.bytes(32)
    const salt = utf8(`salt${i}`)
    const mutable = i % 2 === 1
    const target = mutable
      ? mutableTarget(hashing, run.ed25519.publicKeyOf(seedBytes), salt)
      : immutableTarget(hashing, value)
    run.at(t0, () => {
      const { node } = run.randomLiveNode()
      if (mutable) node.putMutable({ seed: seedBytes, salt, value }, () => undefined)
      else node.putImmutable(value, () => undefined)
    })
    run.at(t0 + 20_000, () => {
      run.randomLiveNode().node.get(target, mutable ? { salt } : {}, (done) => {
        if (done.item !== undefined) run.itemsFound++
      })
    })
  }
}
