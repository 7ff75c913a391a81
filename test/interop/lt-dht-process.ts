import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { pythonScript, SYSTEM_PYTHON } from './reference.js'

/**
 * libtorrent's DHT as a child process (test/interop/python/lt_dht.py), driven by JSON lines:
 * every request carries an id and resolves with the answer echoing it. On 127.0.0.1, or on ::1
 * (`host`), where libtorrent runs the IPv6 DHT of BEP 32.
 */

/** One JSON line from lt_dht.py. */
export interface LtDhtEvent {
  readonly event: string
  readonly id?: number
  readonly [field: string]: unknown
}

export interface LtDhtOptions {
  /** The loopback address libtorrent listens on (default 127.0.0.1). */
  readonly host?: '127.0.0.1' | '::1'
  /** TCP and UDP port to bind on 127.0.0.1 (0, the default: any free port). */
  readonly port?: number
  /** Loopback DHT nodes to bootstrap from (libtorrent's dht_bootstrap_nodes). */
  readonly bootstrap?: readonly { readonly host: string; readonly port: number }[]
  /** Extra libtorrent settings, e.g. to restore a default for an experiment. */
  readonly settings?: Readonly<Record<string, string | number | boolean>>
  /** How long to wait for the ready line (default 30 s). */
  readonly readyTimeoutMs?: number
  /** Default deadline of each request (default 30 s). */
  readonly requestTimeoutMs?: number
}

export interface LtMutablePut {
  readonly publicKey: string
  readonly seq: number
  readonly nodes: number
}

export interface LtSamples {
  readonly interval: number
  readonly num: number
  /** Info-hashes, 40 hex digits each. */
  readonly samples: readonly string[]
  readonly nodes: number
}

export interface LtMutableItem {
  readonly value: string | null
  readonly seq: number | null
}

export interface LtDhtNode {
  readonly pid: number
  /** libtorrent's TCP listen port: the port it announces for itself. */
  readonly port: number
  /** The UDP port of its DHT node (on loopback the same number as `port`). */
  readonly dhtPort: number
  /** Sends `{cmd, ...fields, id}`; resolves with the answer, rejects on an error event. */
  request(cmd: string, fields?: Record<string, unknown>, timeoutMs?: number): Promise<LtDhtEvent>
  addNode(host: string, port: number): Promise<void>
  /** Announces this session's own listen port for `infoHash`; resolves with the lookup's peer count. */
  announce(infoHash: string): Promise<number>
  /** One get_peers lookup: the "ip:port" peers it gathered (possibly none). */
  getPeers(infoHash: string, waitMs?: number): Promise<string[]>
  putImmutable(value: string): Promise<{ target: string; nodes: number }>
  /** The value stored under `target`, or null when the lookup found none. */
  getImmutable(target: string): Promise<string | null>
  /** `seed` is 32 bytes of hex (an ed25519 seed); `salt` and `value` are UTF-8 strings. */
  putMutable(seed: string, salt: string, value: string): Promise<LtMutablePut>
  getMutable(publicKey: string, salt: string): Promise<LtMutableItem>
  /** Nodes in libtorrent's routing table. */
  routingTable(): Promise<number>
  /** BEP 51: libtorrent asks the node at host:port for a sample of its info-hashes. */
  sampleInfohashes(host: string, port: number): Promise<LtSamples>
  /** Adds a .torrent (to seed from `savePath`) or a magnet (to download), DHT as peer source. */
  addTorrent(source: { torrent: string } | { magnet: string }, savePath: string): Promise<string>
  torrentStatus(infoHash: string): Promise<{ progress: number; seeding: boolean; peers: number }>
  /** quit, then SIGTERM and SIGKILL to the PID if needed; resolves with the exit code. */
  stop(): Promise<number>
}

const STOP_GRACE_MS = 3_000

const isEvent = (value: unknown): value is LtDhtEvent =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as { event?: unknown }).event === 'string'

const parseEvent = (line: string): LtDhtEvent | undefined => {
  try {
    const value: unknown = JSON.parse(line)
    return isEvent(value) ? value : undefined
  } catch {
    return undefined
  }
}

const str = (e: LtDhtEvent, key: string): string => {
  const value = e[key]
  if (typeof value !== 'string') throw new Error(`lt_dht.py: ${e.event} without ${key}`)
  return value
}
const num = (e: LtDhtEvent, key: string): number => {
  const value = e[key]
  if (typeof value !== 'number') throw new Error(`lt_dht.py: ${e.event} without ${key}`)
  return value
}
const strOrNull = (e: LtDhtEvent, key: string): string | null =>
  typeof e[key] === 'string' ? (e[key] as string) : null

/** Starts lt_dht.py and resolves once it is listening. */
export async function startLtDht(options: LtDhtOptions = {}): Promise<LtDhtNode> {
  const args = [pythonScript('lt_dht.py'), '--port', String(options.port ?? 0)]
  if (options.host !== undefined) args.push('--host', options.host)
  for (const node of options.bootstrap ?? []) {
    const host = node.host.includes(':') ? `[${node.host}]` : node.host
    args.push('--bootstrap', `${host}:${node.port}`)
  }
  for (const [name, value] of Object.entries(options.settings ?? {})) {
    args.push('--set', `${name}=${String(value)}`)
  }
  const child = spawn(SYSTEM_PYTHON, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  const pid = child.pid
  if (pid === undefined) throw new Error('lt_dht.py did not start')
  const stderr: string[] = []
  child.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 200) stderr.push(chunk.toString())
  })
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)))
  })
  let gone = false
  void exited.then(() => {
    gone = true
  })
  const why = (message: string): Error =>
    new Error(
      `lt_dht.py (pid ${pid}): ${message}${stderr.length > 0 ? `\nstderr: ${stderr.join('')}` : ''}`,
    )

  const waiting = new Map<
    number,
    { resolve: (e: LtDhtEvent) => void; reject: (e: Error) => void }
  >()
  let onReady: ((e: LtDhtEvent) => void) | undefined
  const lines = createInterface({ input: child.stdout })
  lines.on('line', (line) => {
    const e = parseEvent(line)
    if (e === undefined) return
    if (e.event === 'ready') onReady?.(e)
    if (typeof e.id !== 'number') return
    const waiter = waiting.get(e.id)
    if (waiter === undefined) return
    waiting.delete(e.id)
    if (e.event === 'error') waiter.reject(why(String(e['message'])))
    else waiter.resolve(e)
  })
  void exited.then((code) => {
    for (const waiter of waiting.values()) waiter.reject(why(`exited with ${code}`))
    waiting.clear()
  })

  const kill = async (): Promise<number> => {
    if (gone) return exited
    try {
      process.kill(pid, 'SIGTERM')
    } catch {
      return exited
    }
    const killer = setTimeout(() => {
      if (!gone) process.kill(pid, 'SIGKILL')
    }, STOP_GRACE_MS)
    const code = await exited
    clearTimeout(killer)
    return code
  }

  let ready: LtDhtEvent
  try {
    ready = await new Promise<LtDhtEvent>((resolve, reject) => {
      const timeoutMs = options.readyTimeoutMs ?? 30_000
      const timer = setTimeout(() => reject(why(`not ready in ${timeoutMs} ms`)), timeoutMs)
      onReady = (e) => {
        clearTimeout(timer)
        resolve(e)
      }
      void exited.then((code) => {
        clearTimeout(timer)
        reject(why(`exited with ${code} before it was ready`))
      })
    })
  } catch (error) {
    await kill()
    throw error
  }

  let nextId = 1
  const request = (
    cmd: string,
    fields: Record<string, unknown> = {},
    timeoutMs = options.requestTimeoutMs ?? 30_000,
  ): Promise<LtDhtEvent> =>
    new Promise<LtDhtEvent>((resolve, reject) => {
      if (gone) {
        reject(why(`${cmd}: the process has exited`))
        return
      }
      const id = nextId++
      const timer = setTimeout(() => {
        waiting.delete(id)
        reject(why(`no answer to ${cmd} in ${timeoutMs} ms`))
      }, timeoutMs)
      waiting.set(id, {
        resolve: (e) => {
          clearTimeout(timer)
          resolve(e)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      })
      child.stdin.write(`${JSON.stringify({ ...fields, cmd, id })}\n`)
    })

  const stop = async (): Promise<number> => {
    if (gone) return exited
    // A polite quit first (libtorrent closes its sockets); the PID is signalled if it lingers.
    child.stdin.write(`${JSON.stringify({ cmd: 'quit' })}\n`)
    child.stdin.end()
    const quit = await Promise.race([
      exited,
      new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), STOP_GRACE_MS)),
    ])
    return quit ?? kill()
  }

  return {
    pid,
    port: num(ready, 'port'),
    dhtPort: num(ready, 'dhtPort'),
    request,
    addNode: async (host, port) => {
      await request('add_node', { host, port })
    },
    announce: async (infoHash) => num(await request('announce', { infoHash }), 'peers'),
    getPeers: async (infoHash, waitMs) => {
      const e = await request(
        'get_peers',
        waitMs === undefined ? { infoHash } : { infoHash, waitMs },
      )
      const peers = e['peers']
      return Array.isArray(peers) ? peers.filter((p): p is string => typeof p === 'string') : []
    },
    putImmutable: async (value) => {
      const e = await request('put_immutable', { value })
      return { target: str(e, 'target'), nodes: num(e, 'nodes') }
    },
    getImmutable: async (target) => strOrNull(await request('get_immutable', { target }), 'value'),
    putMutable: async (seed, salt, value) => {
      const e = await request('put_mutable', { seed, salt, value })
      return { publicKey: str(e, 'publicKey'), seq: num(e, 'seq'), nodes: num(e, 'nodes') }
    },
    getMutable: async (publicKey, salt) => {
      const e = await request('get_mutable', { publicKey, salt })
      return { value: strOrNull(e, 'value'), seq: typeof e['seq'] === 'number' ? e['seq'] : null }
    },
    routingTable: async () => num(await request('routing_table'), 'nodes'),
    sampleInfohashes: async (host, port) => {
      const e = await request('sample_infohashes', { host, port })
      const samples = Array.isArray(e['samples'])
        ? e['samples'].filter((s): s is string => typeof s === 'string')
        : []
      return { interval: num(e, 'interval'), num: num(e, 'num'), samples, nodes: num(e, 'nodes') }
    },
    addTorrent: async (source, savePath) =>
      str(await request('add_torrent', { ...source, savePath }), 'infoHash'),
    torrentStatus: async (infoHash) => {
      const e = await request('torrent_status', { infoHash })
      return {
        progress: num(e, 'progress'),
        seeding: e['seeding'] === true,
        peers: num(e, 'peers'),
      }
    },
    stop,
  }
}

/**
 * Repeats `attempt` until `done` accepts its result or `deadlineMs` passes (then throws with
 * the last result). For DHT lookups, which may run before an announce or put has spread.
 */
export async function retryUntil<T>(
  what: string,
  attempt: () => Promise<T>,
  done: (value: T) => boolean,
  deadlineMs = 60_000,
  pauseMs = 500,
): Promise<T> {
  const deadline = Date.now() + deadlineMs
  for (;;) {
    const value = await attempt()
    if (done(value)) return value
    if (Date.now() >= deadline) {
      throw new Error(`${what}: not done in ${deadlineMs} ms (last: ${JSON.stringify(value)})`)
    }
    await new Promise((resolve) => setTimeout(resolve, pauseMs))
  }
}

/**
 * Starts `count` libtorrent DHT nodes on loopback, the first a bootstrap for the others (each
 * also add_node's it), runs `body`, and stops every node by PID afterwards, also on failure.
 */
export async function withLtDhtSwarm<T>(
  count: number,
  body: (nodes: readonly LtDhtNode[]) => Promise<T>,
  options: Omit<LtDhtOptions, 'bootstrap' | 'port'> = {},
): Promise<T> {
  const nodes: LtDhtNode[] = []
  try {
    const first = await startLtDht(options)
    nodes.push(first)
    const bootstrap = [{ host: '127.0.0.1', port: first.dhtPort }]
    const rest = await Promise.allSettled(
      Array.from({ length: count - 1 }, () => startLtDht({ ...options, bootstrap })),
    )
    for (const started of rest) if (started.status === 'fulfilled') nodes.push(started.value)
    const failed = rest.find((started) => started.status === 'rejected')
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason
    for (const node of nodes.slice(1)) await node.addNode('127.0.0.1', first.dhtPort)
    return await body(nodes)
  } finally {
    await Promise.all(nodes.map((node) => node.stop()))
  }
}
