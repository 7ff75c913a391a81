/**
 * coturn on loopback for the STUN/TURN interop tests: `turnserver` on 127.0.0.1 and 127.0.0.2
 * (RFC 5780 needs two addresses; coturn answers CHANGE-REQUEST from port+1), and its reference
 * clients. Every process is ended by its own PID.
 */
import { spawnSync } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { spawnLines, type LineProcess } from './reference.js'

export interface Coturn {
  readonly port: number
  readonly process: LineProcess
  stop(): Promise<number>
}

export function requireCoturn(): void {
  const probe = spawnSync('turnserver', ['--version'], { encoding: 'utf8' })
  if (probe.error !== undefined) {
    throw new Error('coturn is missing: `apt-get install coturn` (.ci/run installs it)')
  }
}

/** True when UDP `port` and `port + 1` are free on both loopback addresses. */
async function udpPairFree(port: number): Promise<boolean> {
  const tryBind = (host: string, p: number): Promise<boolean> =>
    new Promise((resolve) => {
      const socket = createSocket('udp4')
      socket.once('error', () => resolve(false))
      socket.bind(p, host, () => socket.close(() => resolve(true)))
    })
  for (const host of ['127.0.0.1', '127.0.0.2']) {
    for (const p of [port, port + 1]) if (!(await tryBind(host, p))) return false
  }
  return true
}

/** A port P with P and P+1 free for UDP on 127.0.0.1 and 127.0.0.2. */
export async function freeUdpPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20000 + 2 * Math.floor(Math.random() * 10000)
    if (await udpPairFree(port)) return port
  }
  throw new Error('no free UDP port pair on loopback')
}

/** Sends one Binding request to `port` and resolves true when anything answers in time. */
export function stunAnswers(host: string, port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4')
    const timer = setTimeout(() => {
      socket.close()
      resolve(false)
    }, timeoutMs)
    socket.once('message', () => {
      clearTimeout(timer)
      socket.close()
      resolve(true)
    })
    const request = Buffer.from('000100002112a442' + '00'.repeat(12), 'hex')
    socket.bind(0, '127.0.0.1', () => socket.send(request, port, host))
  })
}

/** Waits until a STUN server answers on `port`. */
export async function waitForStun(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await stunAnswers(host, port))) {
    if (Date.now() > deadline) throw new Error(`no STUN answer on ${host}:${port}`)
  }
}

/** Starts coturn on 127.0.0.1 and 127.0.0.2 with `extra` flags; resolves once it answers. */
export async function startCoturn(extra: readonly string[] = []): Promise<Coturn> {
  const port = await freeUdpPair()
  const process = spawnLines('turnserver', [
    '-n',
    '--no-tls',
    '--no-dtls',
    '--no-cli',
    '--no-tcp-relay',
    '-L',
    '127.0.0.1',
    '-L',
    '127.0.0.2',
    '-p',
    String(port),
    '--log-file',
    'stdout',
    '--simple-log',
    ...extra,
  ])
  try {
    await waitForStun('127.0.0.1', port)
  } catch (error) {
    await process.stop()
    throw error
  }
  return { port, process, stop: () => process.stop() }
}

export type NatdiscoveryBehaviour =
  'no-nat' | 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent' | 'unknown'

const BEHAVIOUR: Readonly<Record<string, NatdiscoveryBehaviour>> = {
  'Endpoint Independent': 'endpoint-independent',
  'Address Dependent': 'address-dependent',
  'Address and Port Dependent': 'address-and-port-dependent',
}

/**
 * What `turnutils_natdiscovery -m -f` concludes, in plexus's words: the first mapping verdict
 * ("No NAT!" or "NAT with ... Mapping!") and the filtering verdict.
 */
export function parseNatdiscovery(output: string): {
  mapping: NatdiscoveryBehaviour
  filtering: NatdiscoveryBehaviour
} {
  const mappingLine = /^(No NAT!|NAT with (.+) Mapping!)/m.exec(output)
  const filteringLine = /^NAT with (.+) Filtering!/m.exec(output)
  const mapping =
    mappingLine === null
      ? 'unknown'
      : mappingLine[1] === 'No NAT!'
        ? 'no-nat'
        : (BEHAVIOUR[mappingLine[2] ?? ''] ?? 'unknown')
  const filtering =
    filteringLine === null ? 'unknown' : (BEHAVIOUR[filteringLine[1] ?? ''] ?? 'unknown')
  return { mapping, filtering }
}

/** Runs `turnutils_natdiscovery -m -f` from 127.0.0.1 against a server on 127.0.0.1:`port`. */
export function natdiscovery(port: number, host = '127.0.0.1', local = '127.0.0.1'): string {
  const result = spawnSync(
    'turnutils_natdiscovery',
    ['-m', '-f', '-L', local, '-p', String(port), host],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  )
  if (result.error !== undefined) throw result.error
  return `${result.stdout}${result.stderr}`
}
