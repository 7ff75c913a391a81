import { execFile } from 'node:child_process'
import { get } from 'node:http'
import { connect } from 'node:net'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { summarize } from '../src/core/stats.js'
import type { Duplex } from 'node:stream'
import { silentLog } from '../src/drivers/node/log.js'
import { CryptoRandom } from '../src/drivers/node/random.js'
import { OnionClient, parseAuthorities } from '../src/drivers/onion/client.js'
import { httpGetOverStream } from '../src/drivers/onion/http-get.js'
import { buildCircuitThrough } from '../src/drivers/onion/named-circuit.js'
import { NodeOnionCrypto } from '../src/drivers/onion/node-crypto.js'
import { PUBLIC_NETWORK_PARAMS, startTorNetwork, type TorNetwork } from '../test/support/tor-net.js'
import { cpuFigures, startCpuMeter } from './onion-cpu.js'
import { startFileServer, startPlexusRelayProcesses } from './onion-processes.js'

/**
 * Onion routing side by side with tor's client in one private network on loopback (3
 * authorities, 3 exits, 1 tor client): 3-hop circuit build times (plexus: CREATE2 + two
 * EXTEND2 on an open link to the guard; tor: EXTENDCIRCUIT 0 on its control port, timed to
 * the CIRC BUILT event), and the throughput of one HTTP download directly, through a plexus
 * circuit of tor relays, through tor's SOCKS port (curl), and through a circuit of three
 * plexus relay processes, each with the CPU every process used meanwhile (/proc).
 * `--tor-params=builtin` runs the tor relays on tor's built-in fallbacks instead of the public
 * network's consensus parameters (tor-net.ts, PUBLIC_NETWORK_PARAMS); `--size=MiB` sets the
 * download (default 8).
 */
export interface BenchOnionOptions {
  readonly circuits?: number
  readonly downloadBytes?: number
  readonly consensusParams?: string
}

const argument = (name: string): string | undefined =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3)

export function benchOnionFromArgs(): Promise<Record<string, number | string>> {
  const params = argument('tor-params') ?? 'public'
  if (params !== 'public' && params !== 'builtin') throw new Error(`bad --tor-params: ${params}`)
  const size = Number(argument('size') ?? 8)
  if (!Number.isFinite(size) || size <= 0) throw new Error(`bad --size: ${size}`)
  return benchOnion({
    downloadBytes: Math.round(size * 2 ** 20),
    consensusParams: params === 'public' ? PUBLIC_NETWORK_PARAMS : '',
  })
}

const mbps = (bytes: number, ms: number): number => Math.round((bytes * 8) / 1e6 / (ms / 1000))

/**
 * What a fixed stream window allows: 500 DATA cells of 498 bytes per round trip (the circuit's
 * 1000 is the looser bound for one stream), the round trip taken as BEGIN -> CONNECTED.
 */
const windowBound = (roundTripMs: number): number => mbps(500 * 498, roundTripMs)

/** Every tor process of the network by nickname, for the CPU meter. */
const torPids = (network: TorNetwork): Record<string, number | undefined> =>
  Object.fromEntries(
    [
      ...network.authorities.map((a) => a.nickname),
      ...network.relays.map((r) => r.nickname),
      'client',
    ].map((name) => [name, network.pidOf(name)]),
  )

/** The direct path, in this process (a curl process's start-up would be most of 8 MiB's time). */
const directGet = (url: string): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    get(url, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => resolve(Buffer.concat(chunks)))
      response.on('error', reject)
    }).on('error', reject)
  })

const curlGet = (url: string, bytes: number, socks?: number) =>
  promisify(execFile)(
    'curl',
    ['-sS', ...(socks === undefined ? [] : ['--socks5-hostname', `127.0.0.1:${socks}`]), url],
    { encoding: 'buffer', maxBuffer: bytes * 2 },
  )

/** How long one control-port answer or circuit event may take before the build counts as failed. */
const CONTROL_WAIT_MS = 30_000

/**
 * tor's control port: EXTENDCIRCUIT 0 builds a circuit on a path tor picks itself. Builds that
 * tor refuses (a 5xx answer: a consensus without exits for a moment, as a young test network
 * has) or that never report BUILT/FAILED/CLOSED within 30 s are left out (`torBuilt` counts the
 * rest). Each wait also looks at what already arrived. Before, the bench could wait for ever
 * in two ways: a 5xx answer to EXTENDCIRCUIT never matched `250 EXTENDED`, and an event that
 * arrived in the same read as the answer before it was only seen once more bytes came.
 */
async function torBuildTimes(controlPort: number, count: number): Promise<number[]> {
  const socket = connect(controlPort, '127.0.0.1')
  let buffered = ''
  let waiter:
    | {
        match: RegExp
        resolve: (m: RegExpExecArray | undefined) => void
        timer: NodeJS.Timeout
      }
    | undefined
  const check = (): void => {
    const current = waiter
    if (current === undefined) return
    const match = current.match.exec(buffered)
    if (match === null) return
    buffered = buffered.slice(match.index + match[0].length)
    waiter = undefined
    clearTimeout(current.timer)
    current.resolve(match)
  }
  socket.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('latin1')
    check()
  })
  const expect = (match: RegExp): Promise<RegExpExecArray | undefined> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        waiter = undefined
        resolve(undefined)
      }, CONTROL_WAIT_MS)
      waiter = { match, resolve, timer }
      check()
    })
  const reply = /(250 OK|5\d\d [^\r]*)\r\n/
  try {
    socket.write('AUTHENTICATE ""\r\n')
    if ((await expect(reply))?.[1] !== '250 OK')
      throw new Error('tor control: AUTHENTICATE refused')
    socket.write('SETEVENTS CIRC\r\n')
    if ((await expect(reply))?.[1] !== '250 OK') throw new Error('tor control: SETEVENTS refused')
    const times: number[] = []
    for (let i = 0; i < count; i++) {
      const started = performance.now()
      socket.write('EXTENDCIRCUIT 0\r\n')
      const extended = await expect(/(?:250 EXTENDED (\d+)|5\d\d [^\r]*)\r\n/)
      const id = extended?.[1]
      if (id === undefined) continue
      const outcome = await expect(new RegExp(`650 CIRC ${id} (BUILT|FAILED|CLOSED)`))
      if (outcome?.[1] === 'BUILT') times.push(performance.now() - started)
      socket.write(`CLOSECIRCUIT ${id}\r\n`)
      await expect(reply)
    }
    return times
  } finally {
    socket.end()
  }
}

export async function benchOnion(
  options: BenchOnionOptions = {},
): Promise<Record<string, number | string>> {
  const circuits = options.circuits ?? 20
  const bytes = options.downloadBytes ?? 8 * 1024 * 1024
  const server = await startFileServer(bytes)
  const url = `http://127.0.0.1:${server.port}/`
  const consensusParams = options.consensusParams ?? PUBLIC_NETWORK_PARAMS
  const network = await startTorNetwork({ relays: 3, client: true, consensusParams })
  const figures: Record<string, number | string> = {
    consensusParams: consensusParams === '' ? "tor's built-in" : consensusParams,
  }
  try {
    const client = await OnionClient.bootstrap({
      authorities: parseAuthorities(network.authorityLines.join('\n')),
      distinctSubnets: false,
    })
    const destination = { host: '127.0.0.1', port: server.port }
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
    const plexus = summarize(plexusTimes)
    const tor = summarize(torTimes)
    Object.assign(figures, {
      circuits,
      plexusFirstBuildMs: Math.round(firstBuildMs),
      plexusBuildP50Ms: Math.round(plexus.p50 * 10) / 10,
      plexusBuildP90Ms: Math.round(plexus.p90 * 10) / 10,
      torBuildP50Ms: Math.round(tor.p50 * 10) / 10,
      torBuildP90Ms: Math.round(tor.p90 * 10) / 10,
      torBuilt: torTimes.length,
      buildRatioPlexusOverTor: Math.round((plexus.p50 / tor.p50) * 100) / 100,
      downloadBytes: bytes,
    })

    const pids = { ...torPids(network), plexusClient: process.pid, server: server.pid }
    let meter = startCpuMeter(pids)
    const direct = await directGet(url)
    let report = meter.stop()
    figures['directMbps'] = mbps(bytes, report.wallMs)
    Object.assign(figures, cpuFigures('direct', report, bytes))

    // The circuit is built first: the figure is the stream's, as for tor's warm client.
    const circuit = await client.buildCircuit(destination)
    const nickname = (fingerprint: string): string =>
      client.relays.find((relay) => relay.fingerprint === fingerprint)?.nickname ?? '?'
    figures['plexusPath'] = circuit.relays.map(nickname).join(' ')
    // BEGIN -> CONNECTED is one round trip to the exit (plus its TCP connect on loopback).
    const begun = performance.now()
    const plexusStream = await circuit.connect('127.0.0.1', server.port)
    const beginMs = performance.now() - begun
    figures['plexusBeginMs'] = Math.round(beginMs * 10) / 10
    figures['plexusWindowBoundMbps'] = windowBound(beginMs)
    meter = startCpuMeter(pids)
    const viaPlexus = await httpGetOverStream(plexusStream, new URL(url))
    report = meter.stop()
    figures['plexusMbps'] = mbps(bytes, report.wallMs)
    Object.assign(figures, cpuFigures('plexus', report, bytes))
    client.close()

    meter = startCpuMeter(pids)
    const viaTor = await curlGet(url, bytes, network.clientSocksPort ?? 0)
    report = meter.stop()
    figures['torMbps'] = mbps(bytes, report.wallMs)
    Object.assign(figures, cpuFigures('tor', report, bytes))

    const plexusOnly = await plexusRelaysDownload(url, bytes, server)
    Object.assign(figures, plexusOnly)
    if (
      direct.length !== bytes ||
      viaPlexus.body.length !== bytes ||
      viaTor.stdout.length !== bytes
    )
      throw new Error('a download came back short')
    return figures
  } finally {
    network.stop()
    server.stop()
  }
}

/**
 * `npm run bench -- onion-relays [--size=MiB]`: only the download through three `plexus onion
 * relay` processes (no tor network: seconds instead of minutes), with each process's CPU.
 */
export async function benchOnionRelaysFromArgs(): Promise<Record<string, number | string>> {
  const size = Number(argument('size') ?? 16)
  if (!Number.isFinite(size) || size <= 0) throw new Error(`bad --size: ${size}`)
  const bytes = Math.round(size * 2 ** 20)
  const server = await startFileServer(bytes)
  try {
    return {
      downloadBytes: bytes,
      ...(await plexusRelaysDownload(`http://127.0.0.1:${server.port}/`, bytes, server)),
    }
  } finally {
    server.stop()
  }
}

/** The same download through three `plexus onion relay` processes (no tor on the path). */
async function plexusRelaysDownload(
  url: string,
  bytes: number,
  server: { port: number; pid: number },
): Promise<Record<string, number | string>> {
  const relays = await startPlexusRelayProcesses(3)
  try {
    const { circuit } = await buildCircuitThrough(
      new NodeOnionCrypto(),
      new CryptoRandom(),
      silentLog,
      relays.descriptors,
    )
    const begun = performance.now()
    const stream: Duplex = await circuit.connect('127.0.0.1', server.port)
    const beginMs = performance.now() - begun
    const meter = startCpuMeter({ ...relays.pids, plexusClient: process.pid, server: server.pid })
    const result = await httpGetOverStream(stream, new URL(url))
    const report = meter.stop()
    circuit.destroy()
    if (result.body.length !== bytes) throw new Error('the plexus-relay download came back short')
    return {
      plexusRelaysMbps: mbps(bytes, report.wallMs),
      plexusRelaysBeginMs: Math.round(beginMs * 10) / 10,
      plexusRelaysWindowBoundMbps: windowBound(beginMs),
      ...cpuFigures('plexusRelays', report, bytes),
    }
  } finally {
    await relays.stop()
  }
}
