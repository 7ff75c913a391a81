import assert from 'node:assert/strict'
import { addressKey } from '../../src/core/address.js'
import { jsonLine, spawnPlexus } from '../../src/cli/spawn.js'
import type { OverlayName } from '../../src/drivers/overlay/member.js'
import { OverlayService, type OverlayTuning } from '../../src/drivers/overlay/overlay-service.js'
import { createNodeEnv } from '../../src/drivers/node/env.js'

/**
 * A loopback overlay for the per-overlay tests: `count` members, each on its own real UDP
 * socket on 127.0.0.1 (one process hosts them all: 30 processes would swamp a 2-core
 * machine), joined one after another through the first. Periods are shortened so that the
 * overlay settles in seconds.
 */
export const FAST: OverlayTuning = {
  chord: { stabilizeMs: 150, fixFingersMs: 20, checkPredecessorMs: 500, rpcTimeoutMs: 500 },
  pastry: { heartbeatMs: 1_000, requestTimeoutMs: 500 },
  can: { heartbeatMs: 500, deadAfterMs: 3_000, requestTimeoutMs: 500, replicaRefreshMs: 2_000 },
}

/** `host`: the loopback to bind every member to, 127.0.0.1 or ::1. */
export async function loopbackOverlay(
  overlay: OverlayName,
  count: number,
  host = '127.0.0.1',
): Promise<OverlayService[]> {
  const LOCAL = { host, port: 0 }
  const env = createNodeEnv({ loopbackOnly: true })
  const first = await OverlayService.start({
    env,
    overlay,
    bind: LOCAL,
    role: 'member',
    tuning: FAST,
  })
  const nodes = [first]
  for (let i = 1; i < count; i++) {
    const node = await OverlayService.start({
      env,
      overlay,
      bind: LOCAL,
      role: 'member',
      bootstrap: [first.address],
      tuning: FAST,
    })
    await node.joined
    nodes.push(node)
  }
  return nodes
}

export async function closeAll(nodes: readonly OverlayService[]): Promise<void> {
  for (const node of nodes) await node.close({ crash: true })
}

/** Waits (polling every 50 ms) until `ready` holds; fails the test after `ms`. */
export async function until(what: string, ready: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms
  while (!ready()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Runs `plexus overlay <overlay> <args> --json` and returns its exit code and last JSON line. */
export async function cli(
  overlay: OverlayName,
  args: readonly string[],
  through: OverlayService,
): Promise<{ code: number; last: Record<string, unknown> }> {
  const child = spawnPlexus([
    'overlay',
    overlay,
    ...args,
    '--bind',
    through.address.host === '::1' ? '::1' : '127.0.0.1',
    '--bootstrap',
    addressKey(through.address),
    '--json',
  ])
  let last: Record<string, unknown> = {}
  child
    .waitForLine((line) => {
      const event = jsonLine(line)
      if (event !== undefined) last = event
      return undefined
    }, 60_000)
    .catch(() => undefined)
  const code = await child.exited
  return { code, last }
}

/** Puts through one node's CLI and gets through another's; checks the trace was printed. */
export async function putGetThroughCli(
  overlay: OverlayName,
  nodes: readonly OverlayService[],
): Promise<void> {
  const put = await cli(overlay, ['put', 'colour', 'blue'], nodes[5] as OverlayService)
  assert.equal(put.code, 0, JSON.stringify(put.last))
  assert.equal(put.last['ok'], true)
  const got = await cli(overlay, ['get', 'colour'], nodes[20] as OverlayService)
  assert.equal(got.code, 0, JSON.stringify(got.last))
  assert.equal(got.last['value'], 'blue')
  const trace = got.last['trace'] as { hops: number; perHop: { node: string; outcome: string }[] }
  assert.ok(trace.hops >= 1 && trace.perHop.length === trace.hops)
  assert.equal(trace.perHop.at(-1)?.outcome, 'owner')
  const missing = await cli(overlay, ['get', 'no such key'], nodes[9] as OverlayService)
  assert.equal(missing.code, 1, 'a key nobody stored is not found')
  assert.equal(missing.last['ok'], false)
}
