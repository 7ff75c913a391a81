import { mkdirSync } from 'node:fs'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { Address } from '../src/core/address.js'
import type { DatagramSocket } from '../src/core/env.js'
import { CLI_ENTRY, jsonLine, spawnLines, type LineProcess } from '../src/cli/spawn.js'
import { attachTurnClient } from '../src/drivers/nat/turn-client.js'
import { createNodeEnv } from '../src/drivers/node/env.js'
import { bindUdp } from '../src/drivers/node/udp.js'
import { promised } from '../src/drivers/promises.js'
import type { TurnClientEvent } from '../src/protocols/turn/index.js'
import { requireCoturn, startCoturn, type Coturn } from '../test/interop/coturn-harness.js'
import { procStat } from './process-tools.js'

/**
 * Relayed UDP throughput against the direct path (issue 15's goal: relayed at least half of
 * direct), in one run on one machine. A windowed echo of 1,000-byte datagrams from this process
 * to a UDP echo in a process of its own (bench/udp-echo-main.ts), `window` datagrams in flight:
 *
 * - direct: this process's socket to the echo;
 * - plexus: plexus's TURN client (a channel) through `plexus nat relay` in another process;
 * - coturn: the same client through coturn (`turnserver`, the reference relay).
 *
 * Each round measures the three paths back to back for `seconds` each (after a 300 ms warm-up),
 * so a round's ratios compare paths under the same load; the figures are medians over rounds.
 * A path that stalls (a datagram lost to a full socket buffer) has its window refilled after
 * 50 ms; losses are counted. Options: `--window=N` (default 32), `--seconds=N` (default 3),
 * `--rounds=N` (default 3), `--profile=DIR` (the plexus relay runs under `node --cpu-prof`).
 *
 * Wall-clock rates swing with the machine's load; CPU time does not. So the bench also reads
 * each process's CPU time (user + sys, /proc) over each measurement and reports the CPU a round
 * trip costs on each path, per process: on a machine whose cores are all busy, relayed over
 * direct cannot exceed (direct CPU per round trip) / (relayed CPU per round trip).
 */

const DATAGRAM_BYTES = 1000
const WARM_UP_MS = 300
/** No reply for this long while datagrams are in flight: count them lost and refill. */
const STALL_MS = 50
const USER = { username: 'u', password: 'p' }
/** The client's and the echo's SO_RCVBUF: the window, not a socket queue, limits the paths. */
const RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024
const ECHO_MAIN = fileURLToPath(new URL('./udp-echo-main.js', import.meta.url))

export interface EchoPath {
  send(bytes: Uint8Array): void
  /** Called for every echoed datagram that comes back, with its payload. */
  onReply(handler: (bytes: Uint8Array) => void): void
  close(): void
}

export interface Measured {
  readonly messagesPerSecond: number
  readonly lost: number
  /** Round trips over the whole call (warm-up included), for the CPU accounting. */
  readonly roundTrips: number
}

function option(name: string, fallback: number): number {
  const given = process.argv.find((arg) => arg.startsWith(`--${name}=`))
  const value = given === undefined ? fallback : Number(given.slice(name.length + 3))
  if (!Number.isFinite(value) || value <= 0) throw new Error(`bad --${name}: ${given}`)
  return value
}

function textOption(name: string): string | undefined {
  return process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3)
}

/**
 * Keeps `window` datagrams in flight on `path` and counts the replies of `durationMs`. Each
 * datagram carries the window's epoch (its first 4 bytes): after a stall the window is refilled
 * under a new epoch, and a late reply of the old one is neither counted nor refilled, so a false
 * stall (the process descheduled for 50 ms) cannot leave twice the window in flight.
 */
export function measure(path: EchoPath, window: number, durationMs: number): Promise<Measured> {
  let epoch = 0
  const payloadOf = (of: number): Uint8Array => {
    const bytes = new Uint8Array(DATAGRAM_BYTES).fill(0x5a)
    new DataView(bytes.buffer).setUint32(0, of)
    return bytes
  }
  let payload = payloadOf(epoch)
  let inFlight = 0
  let replies = 0
  let lost = 0
  let lastReplyAt = performance.now()
  const topUp = (): void => {
    while (inFlight < window) {
      inFlight++
      path.send(payload)
    }
  }
  const epochOf = (bytes: Uint8Array): number =>
    bytes.length < 4
      ? -1
      : (((bytes[0] as number) << 24) |
          ((bytes[1] as number) << 16) |
          ((bytes[2] as number) << 8) |
          (bytes[3] as number)) >>>
        0
  path.onReply((bytes) => {
    if (epochOf(bytes) !== epoch) return
    replies++
    lastReplyAt = performance.now()
    if (inFlight > 0) inFlight--
    topUp()
  })
  const stallCheck = setInterval(() => {
    if (inFlight > 0 && performance.now() - lastReplyAt > STALL_MS) {
      lost += inFlight
      inFlight = 0
      lastReplyAt = performance.now()
      payload = payloadOf(++epoch)
      topUp()
    }
  }, STALL_MS / 2)
  topUp()
  return new Promise((resolve) => {
    setTimeout(() => {
      const startReplies = replies
      const startLost = lost
      const start = performance.now()
      setTimeout(() => {
        clearInterval(stallCheck)
        const seconds = (performance.now() - start) / 1000
        path.onReply(() => undefined)
        resolve({
          messagesPerSecond: Math.round((replies - startReplies) / seconds),
          lost: lost - startLost,
          roundTrips: replies,
        })
      }, durationMs)
    }, WARM_UP_MS)
  })
}

export type NodeEnv = ReturnType<typeof createNodeEnv>

const clientSocket = (): Promise<DatagramSocket> =>
  promised<DatagramSocket>((done) =>
    bindUdp({ host: '127.0.0.1', port: 0 }, done, {
      loopbackOnly: true,
      receiveBufferBytes: RECEIVE_BUFFER_BYTES,
    }),
  )

export async function directPath(echo: Address): Promise<EchoPath> {
  const socket = await clientSocket()
  let handler: (bytes: Uint8Array) => void = () => undefined
  socket.onReceive((_from, bytes) => handler(bytes))
  return {
    send: (bytes) => socket.send(echo, bytes),
    onReply: (next) => (handler = next),
    close: () => socket.close(),
  }
}

/** plexus's TURN client on a fresh socket: an allocation and a channel to the echo. */
export async function relayedPath(env: NodeEnv, server: Address, echo: Address): Promise<EchoPath> {
  const socket = await clientSocket()
  let handler: (bytes: Uint8Array) => void = () => undefined
  let waiting: { type: TurnClientEvent['type']; resolve: () => void } | undefined
  let failure: ((error: Error) => void) | undefined
  const client = attachTurnClient(env, socket, { server, ...USER }, (event) => {
    if (event.type === 'data') return handler(event.data)
    if (event.type === 'failed') failure?.(new Error(`TURN ${event.operation}: ${event.reason}`))
    if (waiting?.type === event.type) waiting.resolve()
  })
  const until = (type: TurnClientEvent['type'], start: () => void): Promise<void> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`TURN: no ${type} in 10 s`)), 10_000)
      waiting = {
        type,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      }
      failure = (error) => {
        clearTimeout(timer)
        reject(error)
      }
      start()
    })
  await until('allocated', () => client.allocate())
  await until('channel_bound', () => client.bindChannel(echo))
  return {
    send: (bytes) => void client.send(echo, bytes),
    onReply: (next) => (handler = next),
    close: () => {
      client.close()
      client.detach()
      setTimeout(() => socket.close(), 200)
    },
  }
}

export async function startPlexusRelay(profileDir: string | undefined): Promise<{
  process: LineProcess
  address: Address
}> {
  const profile = profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]
  const relay = spawnLines(process.execPath, [
    ...profile,
    CLI_ENTRY,
    'nat',
    'relay',
    '--port',
    '0',
    '--user',
    `${USER.username}:${USER.password}`,
    // The bench measures the path, not the operator's limits (10 MiB/s per allocation by default).
    '--rate',
    String(2 ** 40),
    '--bytes-per-allocation',
    String(2 ** 50),
    '--json',
  ])
  const address = await relay.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'listening' ? String(event['address']) : undefined
  })
  const port = Number(address.split(':').pop())
  return { process: relay, address: { host: '127.0.0.1', port } }
}

export async function startEcho(): Promise<{ process: LineProcess; address: Address }> {
  const echo = spawnLines(process.execPath, [ECHO_MAIN])
  const port = await echo.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'listening' ? Number(event['port']) : undefined
  })
  return { process: echo, address: { host: '127.0.0.1', port } }
}

/** CPU microseconds per round trip of one measurement, by process. */
export interface CpuPerTrip {
  readonly client: number
  readonly relay: number
  readonly echo: number
}

const cpuOf = (pid: number | undefined): number =>
  pid === undefined ? 0 : procStat(pid).cpuSeconds

const selfCpu = (): number => {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1e6
}

/**
 * `measure`, with the CPU time (user + sys) each process spent over it divided by the round
 * trips: this process (the client), the relay's (none on the direct path) and the echo's.
 * Closes the path.
 */
export async function measureCpu(
  path: EchoPath,
  window: number,
  durationMs: number,
  pids: { readonly relay: number | undefined; readonly echo: number | undefined },
): Promise<Measured & { readonly cpu: CpuPerTrip }> {
  const before = { client: selfCpu(), relay: cpuOf(pids.relay), echo: cpuOf(pids.echo) }
  const measured = await measure(path, window, durationMs)
  const after = { client: selfCpu(), relay: cpuOf(pids.relay), echo: cpuOf(pids.echo) }
  path.close()
  const perTrip = (seconds: number): number => (seconds * 1e6) / Math.max(1, measured.roundTrips)
  return {
    ...measured,
    cpu: {
      client: perTrip(after.client - before.client),
      relay: perTrip(after.relay - before.relay),
      echo: perTrip(after.echo - before.echo),
    },
  }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

const round2 = (value: number): number => Math.round(value * 100) / 100

/** `<path>CpuUsPerRoundTrip`: "client c, relay r, echo e, total t" from per-round medians. */
function cpuFigures(
  path: string,
  samples: { client: number[]; relay: number[]; echo: number[] },
): Record<string, string> {
  const client = median(samples.client)
  const relay = median(samples.relay)
  const echo = median(samples.echo)
  const total = client + relay + echo
  const text = `client ${client.toFixed(1)}, relay ${relay.toFixed(1)}, echo ${echo.toFixed(1)}, total ${total.toFixed(1)}`
  return { [`${path}CpuUsPerRoundTrip`]: text }
}

export async function benchRelay(): Promise<Record<string, number | string>> {
  requireCoturn()
  const window = option('window', 32)
  const durationMs = option('seconds', 3) * 1000
  const rounds = option('rounds', 3)
  const profileDir = textOption('profile')
  const env = createNodeEnv()
  if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true })
  const echo = await startEcho()
  const relay = await startPlexusRelay(profileDir)
  let coturn: Coturn | undefined
  try {
    coturn = await startCoturn([
      '--lt-cred-mech',
      '--user',
      `${USER.username}:${USER.password}`,
      '--realm',
      'plexus',
      '--allow-loopback-peers',
    ])
    const coturnAddress = { host: '127.0.0.1', port: coturn.port }
    const results = { direct: [] as number[], plexus: [] as number[], coturn: [] as number[] }
    const ratios = { plexus: [] as number[], coturn: [] as number[] }
    const lost = { direct: 0, plexus: 0, coturn: 0 }
    /** CPU microseconds per round trip, by path and process. */
    const cpu = {
      direct: { client: [] as number[], relay: [] as number[], echo: [] as number[] },
      plexus: { client: [] as number[], relay: [] as number[], echo: [] as number[] },
      coturn: { client: [] as number[], relay: [] as number[], echo: [] as number[] },
    }
    const relayPid = {
      direct: undefined,
      plexus: relay.process.child.pid,
      coturn: coturn.process.child.pid,
    }
    for (let round = 0; round < rounds; round++) {
      const run = async (name: keyof typeof lost, path: EchoPath): Promise<number> => {
        const measured = await measureCpu(path, window, durationMs, {
          relay: relayPid[name],
          echo: echo.process.child.pid,
        })
        lost[name] += measured.lost
        cpu[name].client.push(measured.cpu.client)
        cpu[name].relay.push(measured.cpu.relay)
        cpu[name].echo.push(measured.cpu.echo)
        return measured.messagesPerSecond
      }
      const direct = await run('direct', await directPath(echo.address))
      const plexus = await run('plexus', await relayedPath(env, relay.address, echo.address))
      const reference = await run('coturn', await relayedPath(env, coturnAddress, echo.address))
      results.direct.push(direct)
      results.plexus.push(plexus)
      results.coturn.push(reference)
      ratios.plexus.push(plexus / direct)
      ratios.coturn.push(reference / direct)
    }
    return {
      datagramBytes: DATAGRAM_BYTES,
      window,
      secondsPerPath: durationMs / 1000,
      rounds,
      loadAverage1m: round2(loadavg()[0] ?? 0),
      directMsgsPerSecond: median(results.direct),
      plexusRelayMsgsPerSecond: median(results.plexus),
      coturnMsgsPerSecond: median(results.coturn),
      plexusOverDirect: round2(median(ratios.plexus)),
      coturnOverDirect: round2(median(ratios.coturn)),
      plexusOverDirectPerRound: ratios.plexus.map(round2).join(' '),
      coturnOverDirectPerRound: ratios.coturn.map(round2).join(' '),
      lostDatagrams: `direct ${lost.direct}, plexus ${lost.plexus}, coturn ${lost.coturn}`,
      // CPU µs per round trip (median over rounds): client / relay / echo, and the sum
      ...cpuFigures('direct', cpu.direct),
      ...cpuFigures('plexus', cpu.plexus),
      ...cpuFigures('coturn', cpu.coturn),
    }
  } finally {
    await coturn?.stop()
    await relay.process.stop()
    await echo.process.stop()
  }
}
