/* global setTimeout */
/**
 * Where a plexus download through 3 tor relays waits: one built tree (WT, default '.'), a
 * private tor network, ROUNDS downloads of SIZE MiB. For each: Mbit/s, CPU per MiB, the event
 * loop's utilization (1 = the client was never idle, so CPU-bound), the lowest circuit and
 * stream deliver windows seen (0 = the exit had to stop and wait for our SENDME), how many
 * times the reader's buffer was full (stream SENDMEs held), the TLS read sizes and how many
 * writes the link made (BatchedCellWriter flushes: SENDMEs) and how many chunks the stream
 * pushed to its reader.
 *
 * STREAMS=n splits the download over n streams of one circuit (each has its own 500-cell
 * window; the circuit's is 1000): if n = 2 is faster, one stream's window was the limit.
 *
 *   WT=. SIZE=16 ROUNDS=3 STREAMS=1 node bench/onion-flow-diag.mjs
 */
import { performance } from 'node:perf_hooks'
const W = new URL(`${process.env.WT ?? '.'}/`, `file://${process.cwd()}/`).href.replace(/\/$/, '')
const { OnionClient, parseAuthorities } = await import(`${W}/dist/src/drivers/onion/client.js`)
const { httpGetOverStream } = await import(`${W}/dist/src/drivers/onion/http-get.js`)
const { OnionLink } = await import(`${W}/dist/src/drivers/onion/link.js`)
const { ClientCircuit } = await import(`${W}/dist/src/protocols/onion/client-circuit.js`)
const { startTorNetwork, PUBLIC_NETWORK_PARAMS } = await import(`${W}/dist/test/support/tor-net.js`)
const { startFileServer } = await import(`${W}/dist/bench/onion-processes.js`)
const stats = { pushes: 0, writes: 0, reads: [], minCirc: Infinity, minStream: Infinity, pauses: 0 }
const { BatchedCellWriter } = await import(`${W}/dist/src/drivers/onion/cell-writer.js`)
const flush = BatchedCellWriter.prototype.flush
BatchedCellWriter.prototype.flush = function () {
  stats.writes++
  return flush.call(this)
}
const onBytes = OnionLink.prototype.onBytes
OnionLink.prototype.onBytes = function (bytes) {
  stats.reads.push(bytes.length)
  return onBytes.call(this, bytes)
}
const onData = ClientCircuit.prototype.onData
ClientCircuit.prototype.onData = function (cell, digest) {
  stats.minCirc = Math.min(stats.minCirc, this.circuitDeliver.remaining)
  const s = this.streams.get(cell.streamId)
  if (s) stats.minStream = Math.min(stats.minStream, s.deliver.remaining)
  return onData.call(this, cell, digest)
}
const { OnionStream } = await import(`${W}/dist/src/drivers/onion/circuit.js`)
const pushArrived = OnionStream.prototype.pushArrived
OnionStream.prototype.pushArrived = function () {
  if (this.arrived.length > 0) stats.pushes++
  return pushArrived.call(this)
}
const pause = ClientCircuit.prototype.pauseStream
ClientCircuit.prototype.pauseStream = function (id) {
  stats.pauses++
  return pause.call(this, id)
}
const STREAMS = Number(process.env.STREAMS ?? 1)
const size = Number(process.env.SIZE ?? 16) * 2 ** 20
const mib = size / 2 ** 20
const server = await startFileServer(size / STREAMS)
const network = await startTorNetwork({
  relays: 3,
  client: true,
  consensusParams: PUBLIC_NETWORK_PARAMS,
})
try {
  const client = await OnionClient.bootstrap({
    authorities: parseAuthorities(network.authorityLines.join('\n')),
    distinctSubnets: false,
  })
  for (let r = 0; r < Number(process.env.ROUNDS ?? 3); r++) {
    const circuit = await client.buildCircuit({ host: '127.0.0.1', port: server.port })
    Object.assign(stats, {
      pushes: 0,
      writes: 0,
      reads: [],
      minCirc: Infinity,
      minStream: Infinity,
      pauses: 0,
    })
    const b0 = performance.now()
    const streams = []
    for (let i = 0; i < STREAMS; i++) streams.push(await circuit.connect('127.0.0.1', server.port))
    const beginMs = performance.now() - b0
    const elu0 = performance.eventLoopUtilization()
    const c0 = process.cpuUsage()
    const t0 = performance.now()
    const all = await Promise.all(
      streams.map((stream) =>
        httpGetOverStream(stream, new URL(`http://127.0.0.1:${server.port}/`)),
      ),
    )
    const ms = performance.now() - t0
    const cu = process.cpuUsage(c0)
    const elu = performance.eventLoopUtilization(elu0)
    circuit.destroy()
    if (all.some((res) => res.body.length !== size / STREAMS)) throw new Error('short')
    const sorted = [...stats.reads].sort((a, b) => a - b)
    console.log(
      JSON.stringify({
        round: r,
        mbps: Math.round((size * 8) / 1e3 / ms),
        wallMsPerMiB: +(ms / mib).toFixed(1),
        cpuMsPerMiB: +((cu.user + cu.system) / 1000 / mib).toFixed(1),
        elu: +elu.utilization.toFixed(2),
        beginMs: +beginMs.toFixed(1),
        minCircuitWindow: stats.minCirc,
        minStreamWindow: stats.minStream,
        readerFull: stats.pauses,
        linkWrites: stats.writes,
        streamPushes: stats.pushes,
        reads: stats.reads.length,
        readP50: sorted[sorted.length >> 1],
        readP90: sorted[Math.floor(sorted.length * 0.9)],
      }),
    )
  }
  client.close()
} finally {
  network.stop()
  server.stop()
  setTimeout(() => process.exit(0), 500)
}
