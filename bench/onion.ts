import { execFile } from 'node:child_process'
import { createServer } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { summarize } from '../src/core/stats.js'
import { OnionClient, parseAuthorities } from '../src/drivers/onion/client.js'
import { httpGetOverStream } from '../src/drivers/onion/http-get.js'
import { startTorNetwork } from '../test/support/tor-net.js'

/**
 * Onion routing side by side with tor's client in one private network on loopback (3
 * authorities, 3 exits, 1 tor client): 3-hop circuit build times (plexus: CREATE2 + two
 * EXTEND2 on an open link to the guard; tor: EXTENDCIRCUIT 0 on its control port, timed to
 * the CIRC BUILT event), and the throughput of one HTTP download directly, through a plexus
 * circuit and through tor's SOCKS port (curl).
 */
export interface BenchOnionOptions {
  readonly circuits?: number
  readonly downloadBytes?: number
}

/** tor's control port: EXTENDCIRCUIT 0 builds a circuit on a path tor picks itself. */
async function torBuildTimes(controlPort: number, count: number): Promise<number[]> {
  const socket = connect(controlPort, '127.0.0.1')
  let buffered = ''
  const waiters: { match: RegExp; resolve: (m: RegExpExecArray) => void }[] = []
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('latin1')
    for (const waiter of [...waiters]) {
      const match = waiter.match.exec(buffered)
      if (match !== null) {
        waiters.splice(waiters.indexOf(waiter), 1)
        buffered = buffered.slice(match.index + match[0].length)
        waiter.resolve(match)
      }
    }
  })
  const expect = (match: RegExp): Promise<RegExpExecArray> =>
    new Promise((resolve) => waiters.push({ match, resolve }))
  socket.write('AUTHENTICATE ""\r\n')
  await expect(/250 OK\r\n/)
  socket.write('SETEVENTS CIRC\r\n')
  await expect(/250 OK\r\n/)
  const times: number[] = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    socket.write('EXTENDCIRCUIT 0\r\n')
    const id = (await expect(/250 EXTENDED (\d+)\r\n/))[1] ?? ''
    const outcome = await expect(new RegExp(`650 CIRC ${id} (BUILT|FAILED|CLOSED)`))
    if (outcome[1] === 'BUILT') times.push(performance.now() - started)
    socket.write(`CLOSECIRCUIT ${id}\r\n`)
    await expect(/250 OK\r\n/)
  }
  socket.end()
  return times
}

export async function benchOnion(options: BenchOnionOptions = {}): Promise<Record<string, number>> {
  const circuits = options.circuits ?? 20
  const body = new Uint8Array(options.downloadBytes ?? 8 * 1024 * 1024).map((_, i) => i % 251)
  const server = createServer((_request, response) => response.end(body))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const network = await startTorNetwork({ relays: 3, client: true })
  try {
    const client = await OnionClient.bootstrap({
      authorities: parseAuthorities(network.authorityLines.join('\n')),
      distinctSubnets: false,
    })
    const destination = { host: '127.0.0.1', port }
    // The first build also opens the TLS link to the guard: reported apart, as tor's is warm.
    const first = performance.now()
    ;(await client.buildCircuit(destination)).destroy()
    const firstBuildMs = performance.now() - first
    const plexusTimes: number[] = []
    for (let i = 0; i < circuits; i++) {
      const started = performance.now()
      const circuit = await client.buildCircuit(destination)
      plexusTimes.push(performance.now() - started)
      circuit.destroy()
    }
    const torTimes = await torBuildTimes(network.clientControlPort ?? 0, circuits)

    const mbps = (bytes: number, ms: number): number => (bytes * 8) / 1e6 / (ms / 1000)
    let started = performance.now()
    const direct = await promisify(execFile)('curl', ['-sS', `http://127.0.0.1:${port}/`], {
      encoding: 'buffer',
      maxBuffer: body.length * 2,
    })
    const directMs = performance.now() - started
    started = performance.now()
    const viaPlexus = await httpGetOverStream(
      await client.connect('127.0.0.1', port),
      new URL(`http://127.0.0.1:${port}/`),
    )
    const plexusMs = performance.now() - started
    started = performance.now()
    const viaTor = await promisify(execFile)(
      'curl',
      [
        '-sS',
        '--socks5-hostname',
        `127.0.0.1:${network.clientSocksPort ?? 0}`,
        `http://127.0.0.1:${port}/`,
      ],
      { encoding: 'buffer', maxBuffer: body.length * 2 },
    )
    const torMs = performance.now() - started
    if (
      direct.stdout.length !== body.length ||
      viaPlexus.body.length !== body.length ||
      viaTor.stdout.length !== body.length
    )
      throw new Error('a download came back short')
    client.close()
    const plexus = summarize(plexusTimes)
    const tor = summarize(torTimes)
    return {
      circuits,
      plexusFirstBuildMs: Math.round(firstBuildMs),
      plexusBuildP50Ms: Math.round(plexus.p50 * 10) / 10,
      plexusBuildP90Ms: Math.round(plexus.p90 * 10) / 10,
      torBuildP50Ms: Math.round(tor.p50 * 10) / 10,
      torBuildP90Ms: Math.round(tor.p90 * 10) / 10,
      torBuilt: torTimes.length,
      buildRatioPlexusOverTor: Math.round((plexus.p50 / tor.p50) * 100) / 100,
      downloadBytes: body.length,
      directMbps: Math.round(mbps(body.length, directMs)),
      plexusMbps: Math.round(mbps(body.length, plexusMs)),
      torMbps: Math.round(mbps(body.length, torMs)),
    }
  } finally {
    network.stop()
    server.close()
  }
}
