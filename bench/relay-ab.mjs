/**
 * A/B of the relayed path: plexus's TURN client and `plexus nat relay` from two built trees (A
 * and B, e.g. a branch and a `git archive` of its base built in /tmp), plus the direct path,
 * through one UDP echo, one after the other in each round so they see the same machine load.
 * Prints, per round and path, msgs/s and CPU µs per round trip of client, relay and echo
 * (bench/relay.ts: `measureCpu`), then the medians. A and B swap places every round.
 *
 *   A=. B=/tmp/base ROUNDS=6 SECONDS=3 WINDOW=32 node bench/relay-ab.mjs
 *
 * Both trees must be built (`npx tsc -p .`) with bench/relay.ts's exports; the echo comes from A.
 */
import { loadavg } from 'node:os'
const abs = (dir) => new URL(`${dir}/`, `file://${process.cwd()}/`).href.replace(/\/$/, '')
const trees = [abs(process.env.A ?? '.'), abs(process.env.B ?? '.')]
const rounds = Number(process.env.ROUNDS ?? 6)
const durationMs = Number(process.env.SECONDS ?? 3) * 1000
const window = Number(process.env.WINDOW ?? 32)
const benches = await Promise.all(trees.map((t) => import(`${t}/dist/bench/relay.js`)))
const { createNodeEnv } = await import(`${trees[0]}/dist/src/drivers/node/env.js`)
const env = createNodeEnv()
const a = benches[0]
const echo = await a.startEcho()
const relays = []
try {
  for (const bench of benches) relays.push(await bench.startPlexusRelay(undefined))
  const rows = { direct: [], A: [], B: [] }
  const pids = (i) => ({ relay: relays[i]?.process.child.pid, echo: echo.process.child.pid })
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? [0, 1] : [1, 0]
    const direct = await a.measureCpu(await a.directPath(echo.address), window, durationMs, {
      relay: undefined,
      echo: echo.process.child.pid,
    })
    rows.direct.push(direct)
    const row = { round, load: loadavg()[0].toFixed(1), direct: summary(direct) }
    for (const i of order) {
      const bench = benches[i]
      const path = await bench.relayedPath(env, relays[i].address, echo.address)
      const measured = await bench.measureCpu(path, window, durationMs, pids(i))
      rows[i === 0 ? 'A' : 'B'].push(measured)
      row[i === 0 ? 'A' : 'B'] = summary(measured)
    }
    console.log(JSON.stringify(row))
  }
  const median = (values) => {
    const s = [...values].sort((x, y) => x - y)
    const m = Math.floor(s.length / 2)
    return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2
  }
  const medians = {}
  for (const [name, list] of Object.entries(rows)) {
    medians[name] = {
      msgs: median(list.map((m) => m.messagesPerSecond)),
      client: median(list.map((m) => m.cpu.client)).toFixed(1),
      relay: median(list.map((m) => m.cpu.relay)).toFixed(1),
      echo: median(list.map((m) => m.cpu.echo)).toFixed(1),
      lost: list.reduce((sum, m) => sum + m.lost, 0),
    }
  }
  console.log(JSON.stringify({ medians, trees, window, rounds, seconds: durationMs / 1000 }))
} finally {
  for (const relay of relays) await relay.process.stop()
  await echo.process.stop()
}

function summary(m) {
  const c = m.cpu
  return `${m.messagesPerSecond}/s client ${c.client.toFixed(1)} relay ${c.relay.toFixed(1)} echo ${c.echo.toFixed(1)}`
}
