/* global performance, setTimeout */
/**
 * A/B of the onion client: plexus's client from two built trees (A and B, e.g. a branch and a
 * `git archive` of its base built in /tmp) and tor's client through the same private tor
 * network, one after the other in each round, so that the three see the same machine load.
 * For each download: Mbit/s, this process's CPU per MiB (process.cpuUsage) and how many cores
 * the rest of the machine took; tree A's link reads are counted (size of each TLS read). A and
 * B swap places every round: whichever goes first pays more, so compare over an even number.
 *
 *   A=/work/wt/x B=/tmp/base SIZE=16 ROUNDS=4 node bench/onion-ab.mjs
 *
 * Both trees must be built (`npx tsc -p .`); the network and server come from tree A.
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
const abs = (dir) => new URL(`${dir}/`, `file://${process.cwd()}/`).href.replace(/\/$/, '')
const A = abs(process.env.A ?? '.')
const B = abs(process.env.B ?? '.')
const load = async (W) => ({
  W,
  ...(await import(`${W}/dist/src/drivers/onion/client.js`)),
  ...(await import(`${W}/dist/src/drivers/onion/http-get.js`)),
})
const trees = [await load(A), await load(B)]
const { OnionLink } = await import(`${A}/dist/src/drivers/onion/link.js`)
const reads = []
const onBytes = OnionLink.prototype.onBytes
OnionLink.prototype.onBytes = function (bytes) {
  reads.push(bytes.length)
  return onBytes.call(this, bytes)
}
const { startTorNetwork, PUBLIC_NETWORK_PARAMS } = await import(`${A}/dist/test/support/tor-net.js`)
const { startFileServer } = await import(`${A}/dist/bench/onion-processes.js`)
const { startCpuMeter } = await import(`${A}/dist/bench/onion-cpu.js`)
const size = Number(process.env.SIZE ?? 16) * 2 ** 20,
  mib = size / 2 ** 20
const rounds = Number(process.env.ROUNDS ?? 3)
const server = await startFileServer(size)
const url = `http://127.0.0.1:${server.port}/`
const network = await startTorNetwork({
  relays: 3,
  client: true,
  consensusParams: PUBLIC_NETWORK_PARAMS,
})
try {
  const clients = []
  for (const t of trees)
    clients.push(
      await t.OnionClient.bootstrap({
        authorities: t.parseAuthorities(network.authorityLines.join('\n')),
        distinctSubnets: false,
      }),
    )
  const dest = { host: '127.0.0.1', port: server.port }
  for (let r = 0; r < rounds; r++) {
    const row = { round: r }
    // The tree that goes first in a round pays more (measured): A first in even rounds, B in odd.
    const order = r % 2 === 0 ? [0, 1] : [1, 0]
    for (const i of order) {
      const t = trees[i]
      const circuit = await clients[i].buildCircuit(dest)
      reads.length = 0
      const stream = await circuit.connect('127.0.0.1', server.port)
      const m = startCpuMeter({ me: process.pid })
      const c0 = process.cpuUsage()
      const t0 = performance.now()
      const res = await t.httpGetOverStream(stream, new URL(url))
      const ms = performance.now() - t0
      const cu = process.cpuUsage(c0)
      const rep = m.stop()
      circuit.destroy()
      if (res.body.length !== size) throw new Error('short')
      const sorted = [...reads].sort((x, y) => x - y)
      if (i === 0)
        row.readsA = {
          count: reads.length,
          p10: sorted[Math.floor(sorted.length / 10)],
          p50: sorted[Math.floor(sorted.length / 2)],
        }
      row[i === 0 ? 'A' : 'B'] = {
        mbps: Math.round((size * 8) / 1e3 / ms),
        cpu: +((cu.user + cu.system) / 1000 / mib).toFixed(1),
        others: +((rep.machineBusyMs - (cu.user + cu.system) / 1000) / rep.wallMs).toFixed(2),
      }
    }
    const cm = startCpuMeter({ torclient: network.pidOf('client') })
    const t1 = performance.now()
    const out = await promisify(execFile)(
      'curl',
      ['-sS', '--socks5-hostname', `127.0.0.1:${network.clientSocksPort}`, url],
      { encoding: 'buffer', maxBuffer: size * 2 },
    )
    const ms1 = performance.now() - t1
    const crep = cm.stop()
    if (out.stdout.length !== size) throw new Error('tor short')
    row.tor = {
      mbps: Math.round((size * 8) / 1e3 / ms1),
      cpu: +((crep.processes.torclient ?? 0) / mib).toFixed(1),
    }
    console.log(JSON.stringify(row))
  }
  for (const c of clients) c.close()
} finally {
  network.stop()
  server.stop()
  setTimeout(() => process.exit(0), 500)
}
