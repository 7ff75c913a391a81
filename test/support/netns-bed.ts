import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import type { NatBehaviour } from '../../src/sim/nat.js'

/**
 * A real NAT test bed: Linux network namespaces joined by veth links, with nftables doing the
 * NAT. Needs root, iproute2 and nftables. Nothing is attached to the host's own namespace or a
 * real NIC, and every address comes from the documentation ranges (RFC 5737) or a private LAN:
 *
 *     host0 10.0.1.2 --lan-- nat0 [10.0.1.1 | 198.51.100.1] --+            +-- pub 203.0.113.10,
 *     host1 10.0.2.2 --lan-- nat1 [10.0.2.1 | 198.51.100.2] --+-- inet --+     203.0.113.11, ...
 *     ...                                                       (router)
 *
 * `inet` is a router with two bridges: one for the NAT boxes' WAN side (198.51.100.0/24) and one
 * for the public hosts (203.0.113.0/24). `pub` carries several addresses (an RFC 5780 server
 * needs two) and runs the relays and helpers.
 *
 * NAT behaviours, in RFC 4787 terms (the simulator's `NatBehaviour` names):
 * - `port_restricted`: plain `masquerade`. Linux keeps the source port when it is free, so
 *   mapping is endpoint-independent; inbound passes only as a conntrack reply, so filtering is
 *   address-and-port-dependent.
 * - `symmetric`: `masquerade fully-random`: a fresh random port per 5-tuple, so mapping is
 *   address-and-port-dependent.
 * - `full_cone`: masquerade plus a DNAT to the LAN host of inbound UDP to any port the host
 *   has sent from (a dynamic set filled by outbound traffic): endpoint-independent filtering.
 * - `address_restricted`: as `full_cone`, but the DNAT needs the pair (remote address, port)
 *   in a set filled by outbound traffic: address-dependent filtering.
 * Unsolicited traffic to the WAN address is dropped in the input hook, as a home router does;
 * dropping it there also keeps conntrack from confirming an entry that would later clash with
 * the host's own outbound flow and move its source port.
 */

export type BedNat = Exclude<NatBehaviour, 'none'>
export const BED_NATS: readonly BedNat[] = [
  'full_cone',
  'address_restricted',
  'port_restricted',
  'symmetric',
]

export interface BedOptions {
  /** One private network behind a NAT box of each listed behaviour. */
  readonly nats: readonly BedNat[]
  /** Addresses of the public host, 203.0.113.10 upwards. Default 2 (RFC 5780 needs two). */
  readonly publicAddresses?: number
  /** Seconds a NAT box's UDP mapping/permission sets remember an outbound flow. Default 120. */
  readonly mappingSeconds?: number
}

export interface PrivateNetwork {
  readonly nat: BedNat
  /** The NAT box's namespace and its public (WAN) address. */
  readonly natNamespace: string
  readonly natAddress: string
  /** The one host behind the NAT box. */
  readonly hostNamespace: string
  readonly hostAddress: string
}

export interface ExecResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface NetnsBed {
  /** Unique per bed: the namespaces are named `<id>-<role>`. */
  readonly id: string
  /** The "Internet" router between the NAT boxes and the public host. */
  readonly routerNamespace: string
  readonly publicNamespace: string
  readonly publicAddresses: readonly string[]
  readonly networks: readonly PrivateNetwork[]
  /** Runs a command inside a namespace to completion. */
  exec(namespace: string, argv: readonly string[], timeoutMs?: number): Promise<ExecResult>
  /** Starts a long-running process inside a namespace; it is killed at teardown. */
  start(namespace: string, argv: readonly string[]): ChildProcess
  /** Kills every process in the bed's namespaces (by PID) and deletes them. Idempotent. */
  teardown(): Promise<void>
}

const PUBLIC_PREFIX = '203.0.113'
const PUBLIC_GATEWAY = `${PUBLIC_PREFIX}.1`
const WAN_PREFIX = '198.51.100'
const WAN_GATEWAY = `${WAN_PREFIX}.254`
const NETWORKS_MAX = 200
/** Beds not torn down by their test (a crash between create and finally) go at process exit. */
const live = new Set<NetnsBed>()
let exitHookInstalled = false

/**
 * Throws a message that says what is missing, so that a test on a machine without the
 * privileges fails loudly instead of passing by skipping.
 */
export function requireNetnsBed(): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error(
      'the NAT test bed needs root (network namespaces, veth, nftables): run as root, as CI does',
    )
  }
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['nft', ['--version']],
  ] as const) {
    const probe = spawnSync(tool, args, { encoding: 'utf8' })
    if (probe.error !== undefined || probe.status !== 0) {
      throw new Error(`the NAT test bed needs \`${tool}\` (apt-get install iproute2 nftables)`)
    }
  }
}

function run(argv: readonly string[], input?: string): void {
  const [command, ...args] = argv
  if (command === undefined) throw new Error('empty command')
  const result = spawnSync(command, args, { encoding: 'utf8', input: input ?? '' })
  if (result.error !== undefined) throw result.error
  if (result.status !== 0) {
    throw new Error(`\`${argv.join(' ')}\` failed (${result.status}): ${result.stderr.trim()}`)
  }
}

const inNs = (namespace: string, argv: readonly string[]): string[] => [
  'ip',
  'netns',
  'exec',
  namespace,
  ...argv,
]

/** The nftables ruleset of one NAT box; `lanHost` is the single host behind it. */
export function natRuleset(nat: BedNat, lanHost: string, mappingSeconds: number): string {
  const masquerade = nat === 'symmetric' ? 'masquerade fully-random' : 'masquerade'
  const cone = nat === 'full_cone' || nat === 'address_restricted'
  const lines = ['flush ruleset', 'table ip bednat {']
  if (cone) {
    // What the host has sent from (full cone) or to whom (address-restricted): the state a
    // cone NAT keeps per mapping, refreshed by outbound traffic only (RFC 4787 REQ-6 allows it).
    lines.push(
      '  set mapped { type inet_service; flags dynamic,timeout; }',
      '  set permitted { type ipv4_addr . inet_service; flags dynamic,timeout; }',
      '  chain prerouting {',
      '    type nat hook prerouting priority dstnat; policy accept;',
      nat === 'full_cone'
        ? `    iifname "wan0" udp dport @mapped dnat to ${lanHost}`
        : `    iifname "wan0" ip saddr . udp dport @permitted dnat to ${lanHost}`,
      '  }',
    )
  }
  lines.push(
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    oifname "wan0" ${masquerade}`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy drop;',
  )
  if (cone) {
    lines.push(
      `    iifname "lan0" oifname "wan0" udp sport 1-65535 update @mapped { udp sport timeout ${mappingSeconds}s }`,
      `    iifname "lan0" oifname "wan0" udp sport 1-65535 update @permitted { ip daddr . udp sport timeout ${mappingSeconds}s }`,
    )
  }
  lines.push('    iifname "lan0" oifname "wan0" accept')
  lines.push('    iifname "wan0" oifname "lan0" ct state established,related accept')
  if (cone) lines.push('    iifname "wan0" oifname "lan0" ct status dnat accept')
  lines.push(
    '  }',
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    '    iifname "wan0" ct state established,related accept',
    '    iifname "wan0" icmp type echo-request accept',
    '    iifname "wan0" drop',
    '  }',
    '}',
  )
  return lines.join('\n') + '\n'
}

function namespacePids(namespace: string): number[] {
  const result = spawnSync('ip', ['netns', 'pids', namespace], { encoding: 'utf8' })
  if (result.status !== 0) return []
  return result.stdout
    .split('\n')
    .map((line) => Number.parseInt(line, 10))
    .filter((pid) => Number.isInteger(pid) && pid > 0)
}

function namespaceExists(namespace: string): boolean {
  const result = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
  return result.stdout.split('\n').some((line) => line.split(' ')[0] === namespace)
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Builds a bed. On any failure it tears down what it built before rethrowing. */
export async function createNetnsBed(options: BedOptions): Promise<NetnsBed> {
  requireNetnsBed()
  if (options.nats.length === 0 || options.nats.length > NETWORKS_MAX) {
    throw new Error(`a bed has 1..${NETWORKS_MAX} private networks`)
  }
  const publicCount = options.publicAddresses ?? 2
  const mappingSeconds = options.mappingSeconds ?? 120
  const id = `pxb${randomBytes(3).toString('hex')}`
  const inet = `${id}-inet`
  const pub = `${id}-pub`
  const publicAddresses = Array.from(
    { length: publicCount },
    (_, i) => `${PUBLIC_PREFIX}.${10 + i}`,
  )
  const networks: PrivateNetwork[] = options.nats.map((nat, i) => ({
    nat,
    natNamespace: `${id}-nat${i}`,
    natAddress: `${WAN_PREFIX}.${i + 1}`,
    hostNamespace: `${id}-host${i}`,
    hostAddress: `10.0.${i + 1}.2`,
  }))
  const namespaces = [
    inet,
    pub,
    ...networks.flatMap((network) => [network.natNamespace, network.hostNamespace]),
  ]
  const children = new Set<ChildProcess>()
  let tornDown = false

  const teardown = async (): Promise<void> => {
    if (tornDown) return
    tornDown = true
    live.delete(bed)
    for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
    const existing = namespaces.filter(namespaceExists)
    for (const namespace of existing) {
      for (const pid of namespacePids(namespace)) killQuietly(pid, 'SIGTERM')
    }
    await pause(100)
    for (const namespace of existing) {
      for (const pid of namespacePids(namespace)) killQuietly(pid, 'SIGKILL')
      spawnSync('ip', ['netns', 'del', namespace])
    }
  }

  const exec = (namespace: string, argv: readonly string[], timeoutMs = 30_000) =>
    new Promise<ExecResult>((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', namespace, ...argv], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      children.add(child)
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      child.once('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
      child.once('close', (code, signal) => {
        clearTimeout(timer)
        children.delete(child)
        resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : 1), stdout, stderr })
      })
    })

  const start = (namespace: string, argv: readonly string[]): ChildProcess => {
    const child = spawn('ip', ['netns', 'exec', namespace, ...argv], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.add(child)
    child.once('exit', () => children.delete(child))
    return child
  }

  const bed: NetnsBed = {
    id,
    routerNamespace: inet,
    publicNamespace: pub,
    publicAddresses,
    networks,
    exec,
    start,
    teardown,
  }
  live.add(bed)
  if (!exitHookInstalled) {
    exitHookInstalled = true
    // Last resort only: synchronous deletion of the namespaces of beds a test left behind.
    process.once('exit', () => {
      for (const left of live) {
        for (const namespace of [
          left.routerNamespace,
          left.publicNamespace,
          ...namespacesOf(left),
        ]) {
          for (const pid of namespacePids(namespace)) killQuietly(pid, 'SIGKILL')
          spawnSync('ip', ['netns', 'del', namespace])
        }
      }
    })
  }

  try {
    for (const namespace of namespaces) {
      run(['ip', 'netns', 'add', namespace])
      run(inNs(namespace, ['ip', 'link', 'set', 'lo', 'up']))
      // IPv4-only bed: no IPv6 link-local chatter, no route around the NAT.
      run(inNs(namespace, ['sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1']))
    }
    // the "Internet": a router with a bridge per side
    run(inNs(inet, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']))
    for (const [bridge, address] of [
      ['brpub', `${PUBLIC_GATEWAY}/24`],
      ['brwan', `${WAN_GATEWAY}/24`],
    ] as const) {
      run(inNs(inet, ['ip', 'link', 'add', bridge, 'type', 'bridge']))
      run(inNs(inet, ['ip', 'addr', 'add', address, 'dev', bridge]))
      run(inNs(inet, ['ip', 'link', 'set', bridge, 'up']))
    }
    const attach = (namespace: string, inside: string, outside: string, bridge: string): void => {
      run([
        'ip',
        'link',
        'add',
        inside,
        'netns',
        namespace,
        'type',
        'veth',
        'peer',
        'name',
        outside,
        'netns',
        inet,
      ])
      run(inNs(inet, ['ip', 'link', 'set', outside, 'master', bridge]))
      run(inNs(inet, ['ip', 'link', 'set', outside, 'up']))
      run(inNs(namespace, ['ip', 'link', 'set', inside, 'up']))
    }
    attach(pub, 'eth0', 'vpub', 'brpub')
    for (const address of publicAddresses) {
      run(inNs(pub, ['ip', 'addr', 'add', `${address}/24`, 'dev', 'eth0']))
    }
    run(inNs(pub, ['ip', 'route', 'add', 'default', 'via', PUBLIC_GATEWAY]))
    networks.forEach((network, i) => {
      const nat = network.natNamespace
      const lanPrefix = `10.0.${i + 1}`
      attach(nat, 'wan0', `vnat${i}`, 'brwan')
      run(inNs(nat, ['ip', 'addr', 'add', `${network.natAddress}/24`, 'dev', 'wan0']))
      run(inNs(nat, ['ip', 'route', 'add', 'default', 'via', WAN_GATEWAY]))
      run(inNs(nat, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']))
      run([
        'ip',
        'link',
        'add',
        'lan0',
        'netns',
        nat,
        'type',
        'veth',
        'peer',
        'name',
        'eth0',
        'netns',
        network.hostNamespace,
      ])
      run(inNs(nat, ['ip', 'addr', 'add', `${lanPrefix}.1/24`, 'dev', 'lan0']))
      run(inNs(nat, ['ip', 'link', 'set', 'lan0', 'up']))
      run(
        inNs(nat, ['nft', '-f', '-']),
        natRuleset(network.nat, network.hostAddress, mappingSeconds),
      )
      const host = network.hostNamespace
      run(inNs(host, ['ip', 'addr', 'add', `${network.hostAddress}/24`, 'dev', 'eth0']))
      run(inNs(host, ['ip', 'link', 'set', 'eth0', 'up']))
      run(inNs(host, ['ip', 'route', 'add', 'default', 'via', `${lanPrefix}.1`]))
    })
  } catch (error) {
    await teardown()
    throw error
  }
  return bed
}

function namespacesOf(bed: NetnsBed): string[] {
  return bed.networks.flatMap((network) => [network.natNamespace, network.hostNamespace])
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal)
  } catch {
    // already gone
  }
}
