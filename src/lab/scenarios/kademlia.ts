import { intToIpv4 } from '../../core/address.js'
import { summarize } from '../../core/stats.js'
import { instant } from '../../core/time.js'
import { ChurnDriver, exponential } from '../../sim/index.js'
import { defaultsOf, type Params, type RunOptions, type Scenario } from '../scenario.js'
import { BOOTSTRAP_NODES, FIRST_ADDRESS, PARAMS, type KademliaParams } from './kademlia-params.js'
import { formatKademlia, kademliaReport, type KademliaReport } from './kademlia-report.js'
import { KademliaRun } from './kademlia-run.js'
import { scheduleWorkload } from './kademlia-workload.js'

export { checkInvariants } from './kademlia-invariants.js'
export type { KademliaReport } from './kademlia-report.js'

/**
 * A Mainline DHT in the simulator: every host runs the production `Peer` (as `plexus daemon`
 * does), whose DHT node is the production `DhtNode` bound by the production driver, over a
 * plane latency model. Hosts join over `joinSeconds`, each bootstrapping through a few of the
 * first 8 nodes; then `lookups` find_node lookups for random targets from random nodes, a few
 * announce / get_peers pairs and BEP 44 put / get pairs run, optionally under churn. A lookup
 * succeeds when the closest node it returns is the true XOR-closest live node. Hosts get
 * public addresses (11.0.0.1 up) and BEP 42 ids, and BEP 42 and the per-IP limits are
 * enforced, so the invariants checked at the end mean something.
 */
export function runKademlia(
  params: Params,
  seed: number,
  options: RunOptions = {},
): KademliaReport {
  const p = { ...defaultsOf(PARAMS), ...params } as KademliaParams
  const run = new KademliaRun(p, seed)
  const { world } = run
  for (let i = 0; i < p.nodes; i++) {
    world.addHost({
      // One host per /24, as on the Internet, so per-subnet limits do not bind artificially.
      address: intToIpv4(FIRST_ADDRESS + i * 256),
      uploadBytesPerSecond: 1e7,
      downloadBytesPerSecond: 1e7,
    })
  }
  const hosts = world.hosts
  const joinMs = p.joinSeconds * 1000
  hosts.forEach((host, i) => {
    const at = i < BOOTSTRAP_NODES ? 0 : (joinMs * i) / hosts.length
    run.at(at, () => host.start(run.program))
  })
  const settle = joinMs + 30_000
  world.run({ until: instant(settle) })
  run.oracle.rebuild()

  let churn: ChurnDriver | undefined
  const churnMs = p.churnMinutes * 60_000
  const sessionMinutes = p.sessionMinutes > 0 || churnMs === 0 ? p.sessionMinutes : 60
  if (sessionMinutes > 0) {
    churn = new ChurnDriver(world.scheduler, {
      hosts: hosts.slice(BOOTSTRAP_NODES),
      session: exponential(sessionMinutes * 60_000),
      offTime: exponential(p.offMinutes * 60_000),
      random: world.random.fork('churn'),
    })
    churn.start()
  }

  // An hour of churn (goal 4 of issue 20) spreads the lookups over the hour.
  const lookupMs = churnMs > 0 ? churnMs : p.lookupSeconds * 1000
  scheduleWorkload(run, settle, lookupMs)
  const end = settle + lookupMs + 60_000 + p.idleMinutes * 60_000
  // A virtual minute at a time, so a long run can say how far it got (--progress).
  let steps = 0
  for (let at = settle; at < end;) {
    at = Math.min(end, at + 60_000)
    steps += world.run({ until: instant(at) }).steps
    progress(options, run, at)
  }
  churn?.stop()
  return kademliaReport(run, churn, steps)
}

/** A progress line (wall-clock figures are fine here: they never enter the report). */
function progress(options: RunOptions, run: KademliaRun, at: number): void {
  if (options.progress === undefined) return
  const rss = Math.round(process.memoryUsage().rss / 1e6)
  const wall = Math.round(performance.now() / 1000)
  const cpu = process.cpuUsage()
  const cpuSeconds = Math.round((cpu.user + cpu.system) / 1e6)
  // The lookups so far, so a run stopped before its report still says what it measured.
  const so = run.lookupsFinished === 0 ? '' : `, so far ${lookupsSoFar(run)}`
  options.progress(
    `virtual ${at / 1000} s: ${run.lookupsFinished}/${run.p.lookups} lookups${so}, ` +
      `${run.world.scheduler.eventsRun} events; wall ${wall} s, cpu ${cpuSeconds} s, rss ${rss} MB`,
  )
}

function lookupsSoFar(run: KademliaRun): string {
  const hops = summarize(run.hops)
  const latency = summarize(run.latencies)
  const success = Math.round((1000 * run.successes) / run.lookupsFinished) / 10
  const firstPeers =
    run.firstPeers.length === 0
      ? ''
      : `, first peers p50 ${Math.round(summarize(run.firstPeers).p50)} ms`
  return (
    `success ${success} %, hops mean ${hops.mean.toFixed(2)} p50 ${hops.p50}, ` +
    `latency p50 ${Math.round(latency.p50)} ms${firstPeers}`
  )
}

export const kademlia: Scenario<KademliaReport> = {
  name: 'kademlia',
  describe: 'a Mainline DHT (BEP 5/42/43/44): join, lookups, announces, BEP 44 items, churn',
  params: PARAMS,
  defaults: () => defaultsOf(PARAMS),
  run: runKademlia,
  format: formatKademlia,
}
