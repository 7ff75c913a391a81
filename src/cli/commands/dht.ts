import { randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { addressKey, parseAddress } from '../../core/address.js'
import { fromHex, toHex, utf8 } from '../../core/bytes.js'
import type { BValue } from '../../core/codec/bencode.js'
import { idFromBytes, type Id160 } from '../../core/id.js'
import type { DhtDone, DhtService } from '../../drivers/kademlia/dht-service.js'
import { NodeEd25519 } from '../../drivers/node/ed25519.js'
import type { StoredItem } from '../../protocols/kademlia/items.js'
import { bootstrapList, startDhtNode } from '../dht/node-options.js'
import { integerOption, ipv6Option, portOption } from '../options.js'
import { EXIT_FAILURE, EXIT_USAGE, printJson, printLine } from '../output.js'

/**
 * `plexus dht`: run a Mainline DHT node, or use one for a single command (peers, announce,
 * put, get, lookup). One-shot commands start a node on a free port, join through
 * `--bootstrap` (or the nodes in `--state`), run the command, print its result and the
 * lookup's trace, and exit.
 */

interface NodeFlags {
  readonly port: number
  readonly bind: string
  readonly bind6?: string
  readonly bootstrap: string[]
  readonly state?: string
  readonly json?: boolean
  readonly timeout: number
}

const DEFAULT_NODE_PORT = 6881

function nodeFlags(command: Command, defaultPort: number): Command {
  return command
    .option('--port <n>', 'UDP port (0 picks one)', portOption, defaultPort)
    .option('--bind <addr>', 'address to bind', '0.0.0.0')
    .option(
      '--bind6 <addr>',
      'IPv6 address to bind as well, same port (BEP 32 dual stack; default: IPv4 only)',
      ipv6Option,
    )
    .option(
      '--bootstrap <host:port,...>',
      'nodes to join through (repeatable; default: the nodes in --state, else the public routers)',
      bootstrapList,
      [],
    )
    .option(
      '--state <file>',
      'routing table file: loaded at start, saved while running (another kind of file is refused)',
    )
    .option('--json', 'print JSON lines')
    .option(
      '--timeout <seconds>',
      'give up on the command after this long',
      integerOption('timeout', 1, 3600),
      60,
    )
}

function hexId(text: string, what: string): Id160 {
  const bytes = /^[0-9a-fA-F]{40}$/.test(text) ? fromHex(text) : undefined
  const id = bytes === undefined ? undefined : idFromBytes(bytes)
  if (id === undefined) throw new Error(`${what} must be 40 hex digits, got '${text}'`)
  return id
}

/** Bytes as text when they are printable UTF-8, else hex. */
function showBytes(bytes: Uint8Array): string {
  const text = Buffer.from(bytes).toString('utf8')
  const printable =
    Buffer.from(text, 'utf8').equals(Buffer.from(bytes)) &&
    ![...text].some((c) => c.charCodeAt(0) < 0x20)
  return printable ? text : `hex:${toHex(bytes)}`
}

function showValue(value: BValue): string {
  if (value instanceof Uint8Array) return showBytes(value)
  if (typeof value === 'number') return String(value)
  return JSON.stringify(value, (_key, v: unknown) =>
    v instanceof Uint8Array ? showBytes(v) : v instanceof Map ? Object.fromEntries(v) : v,
  )
}

function traceOf(done: DhtDone) {
  const { trace } = done
  return {
    hops: trace.hops,
    nodesContacted: trace.nodesContacted,
    messages: trace.messages,
    ms: Math.round(trace.finishedAt - trace.startedAt),
    perHop: trace.perHop.map((h) => ({
      depth: h.depth,
      queried: h.queried,
      answered: h.responded,
    })),
  }
}

function printTrace(done: DhtDone): void {
  const t = traceOf(done)
  printLine(
    `lookup: ${t.hops} hops, ${t.nodesContacted} nodes contacted, ${t.messages} messages, ${t.ms} ms`,
  )
  for (const hop of t.perHop) {
    printLine(`  hop ${hop.depth + 1}: queried ${hop.queried}, answered ${hop.answered}`)
  }
}

async function withNode(flags: NodeFlags, body: (dht: DhtService) => Promise<void>): Promise<void> {
  // One-shot commands are BEP 43 read-only: they leave no dead entries in others' tables.
  const dht = await startDhtNode({
    bind: flags.bind,
    ...(flags.bind6 === undefined ? {} : { bind6: flags.bind6 }),
    port: flags.port,
    bootstrap: flags.bootstrap,
    readOnly: true,
    ...(flags.state === undefined ? {} : { state: flags.state }),
  })
  const timer = setTimeout(() => {
    printLine(`gave up after ${flags.timeout} s`)
    process.exit(EXIT_FAILURE)
  }, flags.timeout * 1000)
  try {
    // Join first: a command run on an empty table would find nothing.
    await dht.joined
    await body(dht)
  } finally {
    clearTimeout(timer)
    await dht.close()
  }
}

/** A 32-byte ed25519 seed kept as 64 hex digits; created (mode 0600) when missing. */
async function loadSeed(path: string): Promise<Uint8Array> {
  const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw new Error(`cannot read key file ${path}: ${error.message}`)
  })
  if (text === undefined) {
    const seed = new Uint8Array(randomBytes(32))
    await writeFile(path, `${toHex(seed)}\n`, { mode: 0o600, flag: 'wx' })
    return seed
  }
  const hex = text.trim()
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) {
    throw new Error(`key file ${path} must hold a 32-byte ed25519 seed as 64 hex digits`)
  }
  return fromHex(hex) as Uint8Array
}

function itemJson(item: StoredItem) {
  return {
    value: showValue(item.value),
    ...(item.k === undefined ? {} : { publicKey: toHex(item.k) }),
    ...(item.salt === undefined ? {} : { salt: showBytes(item.salt) }),
    ...(item.seq === undefined ? {} : { seq: item.seq }),
  }
}

export function registerDht(program: Command): void {
  const dht = nodeFlags(
    program
      .command('dht')
      .description('run a Mainline DHT node (BEP 5, 42, 43, 44), or use one: see the commands'),
    DEFAULT_NODE_PORT,
  )
    .option('--isolated', 'start with no bootstrap nodes (the first node of a private network)')
    .option('--enforce-bep42', 'keep only nodes whose id matches their IP (BEP 42)')
    .action(async (flags: NodeFlags & { isolated?: boolean; enforceBep42?: boolean }) => {
      const node = await startDhtNode({
        bind: flags.bind,
        ...(flags.bind6 === undefined ? {} : { bind6: flags.bind6 }),
        port: flags.port,
        bootstrap: flags.bootstrap,
        isolated: flags.isolated === true,
        enforceBep42: flags.enforceBep42 === true,
        ...(flags.state === undefined ? {} : { state: flags.state }),
      })
      const report = (type: string): void => {
        const s = node.stats()
        const fields = {
          id: toHex(node.id),
          address: addressKey(node.address),
          ...(node.address6 === undefined ? {} : { address6: addressKey(node.address6) }),
          tableSize: s.tableSize,
          tableSizes: s.tableSizes,
          peersStored: s.peersStored,
          itemsStored: s.itemsStored,
          queriesReceived: s.queriesReceived,
          queriesDropped: s.queriesDropped,
        }
        if (flags.json === true) printJson({ type, ...fields })
        else
          printLine(
            `dht ${fields.id} on ${fields.address}` +
              `${fields.address6 === undefined ? '' : ` and ${fields.address6}`}: ` +
              `${fields.tableSize} nodes, ` +
              `${fields.peersStored} peers, ${fields.itemsStored} items stored, ` +
              `${fields.queriesReceived} queries answered`,
          )
      }
      report('listening')
      const interval = setInterval(() => report('stats'), 30_000)
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      clearInterval(interval)
      await node.close()
    })

  nodeFlags(dht.command('peers').description('find peers for an info-hash (get_peers)'), 0)
    .argument('<infohash>', '40 hex digits')
    .option('--scrape', 'also estimate the swarm: seeds and peers (BEP 33 bloom filters)')
    .option('--noseed', 'ask for leechers first (BEP 33)')
    .action(
      async (infoHashText: string, flags: NodeFlags & { scrape?: boolean; noseed?: boolean }) => {
        const infoHash = hexId(infoHashText, 'the info-hash')
        await withNode(flags, async (node) => {
          const done = await node.getPeers(
            infoHash,
            (peers) => {
              const list = peers.map(addressKey)
              if (flags.json === true) printJson({ type: 'peers', peers: list })
              else for (const peer of list) printLine(peer)
            },
            { scrape: flags.scrape === true, noseed: flags.noseed === true },
          )
          const scrape =
            done.scrape === undefined
              ? undefined
              : {
                  seeds: Math.round(done.scrape.seeds),
                  peers: Math.round(done.scrape.peers),
                  responders: done.scrape.responders,
                }
          if (flags.json === true) {
            printJson({
              type: 'done',
              peers: done.peersFound,
              ...(scrape === undefined ? {} : { scrape }),
              trace: traceOf(done),
            })
          } else {
            printLine(`${done.peersFound} peers`)
            if (scrape !== undefined) {
              printLine(
                `scrape: about ${scrape.seeds} seeds and ${scrape.peers} peers ` +
                  `(bloom filters from ${scrape.responders} nodes)`,
              )
            }
            printTrace(done)
          }
        })
      },
    )

  nodeFlags(
    dht
      .command('sample')
      .description('ask one node for a sample of the info-hashes it stores (BEP 51)'),
    0,
  )
    .argument('<node>', 'the node: host:port')
    .option('--target <id>', 'the id its nodes list should be near (40 hex digits; default random)')
    .action(async (nodeText: string, flags: NodeFlags & { target?: string }) => {
      const to = parseAddress(nodeText)
      if (to === undefined) throw new Error(`the node must be host:port, got '${nodeText}'`)
      const target =
        flags.target === undefined
          ? (idFromBytes(randomBytes(20)) as Id160)
          : hexId(flags.target, 'the target')
      await withNode(flags, async (node) => {
        const { samples } = await node.sampleInfohashes(to, target)
        if (samples === undefined) {
          if (flags.json === true) printJson({ type: 'done', answered: false })
          else printLine(`${nodeText} did not answer`)
          process.exitCode = EXIT_FAILURE
          return
        }
        const result = {
          type: 'done',
          answered: true,
          node: { id: toHex(samples.from.id), address: addressKey(samples.from.address) },
          interval: samples.interval ?? null,
          num: samples.num ?? null,
          samples: samples.samples.map(toHex),
          nodes: samples.nodes.map((n) => ({ id: toHex(n.id), address: addressKey(n.address) })),
        }
        if (flags.json === true) printJson(result)
        else {
          printLine(
            `${result.node.address} stores ${result.num ?? '?'} info-hashes; ` +
              `${result.samples.length} sampled; ask again in ${result.interval ?? '?'} s`,
          )
          for (const hash of result.samples) printLine(`  ${hash}`)
          printLine(`${result.nodes.length} nodes near the target`)
        }
      })
    })

  nodeFlags(
    dht.command('announce').description('announce a peer for an info-hash (announce_peer)'),
    0,
  )
    .argument('<infohash>', '40 hex digits')
    .requiredOption('--peer-port <n>', 'TCP port peers should connect to', portOption)
    .option('--seed', 'announce as a seed (BEP 33: counted among the seeds by scrapes)')
    .action(
      async (infoHashText: string, flags: NodeFlags & { peerPort: number; seed?: boolean }) => {
        const infoHash = hexId(infoHashText, 'the info-hash')
        await withNode(flags, async (node) => {
          const done = await node.announce(infoHash, flags.peerPort, { seed: flags.seed === true })
          if (flags.json === true) {
            printJson({ type: 'done', stored: done.stored, trace: traceOf(done) })
          } else {
            printLine(`announced to ${done.stored} nodes`)
            printTrace(done)
          }
          if (done.stored === 0) process.exitCode = EXIT_FAILURE
        })
      },
    )

  nodeFlags(
    dht
      .command('put')
      .description('store an item (BEP 44): immutable, or mutable with --key and --salt'),
    0,
  )
    .argument('<value>', 'the value, stored as a bencoded string')
    .option('--key <seedfile>', 'ed25519 seed file (64 hex digits; created when missing)')
    .option('--salt <text>', 'salt for a mutable item (at most 64 bytes)')
    .option(
      '--seq <n>',
      'sequence number (default: one more than the highest found)',
      integerOption('seq', 0, Number.MAX_SAFE_INTEGER),
    )
    .action(
      async (
        valueText: string,
        flags: NodeFlags & { key?: string; salt?: string; seq?: number },
      ) => {
        const value = utf8(valueText)
        if (value.length > 1000) throw new Error('a BEP 44 value is at most 1000 bytes')
        if (flags.key === undefined && (flags.salt !== undefined || flags.seq !== undefined)) {
          printLine('error: --salt and --seq need --key (they apply to mutable items)')
          process.exitCode = EXIT_USAGE
          return
        }
        const salt = flags.salt === undefined ? undefined : utf8(flags.salt)
        if (salt !== undefined && salt.length > 64) throw new Error('a salt is at most 64 bytes')
        const seed = flags.key === undefined ? undefined : await loadSeed(flags.key)
        await withNode(flags, async (node) => {
          const done =
            seed === undefined
              ? await node.putImmutable(value)
              : await node.putMutable({
                  seed,
                  value,
                  ...(salt === undefined ? {} : { salt }),
                  ...(flags.seq === undefined ? {} : { seq: flags.seq }),
                })
          const result = {
            type: 'done',
            target: toHex(done.target),
            stored: done.stored,
            ...(seed === undefined
              ? {}
              : { publicKey: toHex(new NodeEd25519().publicKeyOf(seed)) }),
            ...(done.item?.seq === undefined ? {} : { seq: done.item.seq }),
            trace: traceOf(done),
          }
          if (flags.json === true) printJson(result)
          else {
            printLine(`target ${result.target}: stored on ${done.stored} nodes`)
            if (result.publicKey !== undefined) printLine(`public key ${result.publicKey}`)
            printTrace(done)
          }
          if (done.stored === 0) process.exitCode = EXIT_FAILURE
        })
      },
    )

  nodeFlags(dht.command('get').description('read an item (BEP 44) by its target'), 0)
    .argument('<target>', '40 hex digits: SHA-1 of the value, or of key + salt')
    .option('--salt <text>', 'the salt of a mutable item')
    .action(async (targetText: string, flags: NodeFlags & { salt?: string }) => {
      const target = hexId(targetText, 'the target')
      await withNode(flags, async (node) => {
        const done = await node.get(target, {
          ...(flags.salt === undefined ? {} : { salt: utf8(flags.salt) }),
        })
        const item = done.item
        if (flags.json === true) {
          printJson({
            type: 'done',
            found: item !== undefined,
            ...(item === undefined ? {} : itemJson(item)),
            trace: traceOf(done),
          })
        } else {
          if (item === undefined) printLine('not found')
          else {
            const shown = itemJson(item)
            printLine(`value: ${shown.value}`)
            if (shown.seq !== undefined) printLine(`seq ${shown.seq}, key ${shown.publicKey}`)
          }
          printTrace(done)
        }
        if (item === undefined) process.exitCode = EXIT_FAILURE
      })
    })

  nodeFlags(
    dht.command('lookup').description('find the nodes closest to an id, printing each hop'),
    0,
  )
    .argument('<id>', '40 hex digits')
    .action(async (idText: string, flags: NodeFlags) => {
      const target = hexId(idText, 'the id')
      await withNode(flags, async (node) => {
        const done = await node.lookup(target)
        const closest = done.closest.map((n) => ({
          id: toHex(n.id),
          address: addressKey(n.address),
        }))
        if (flags.json === true) printJson({ type: 'done', closest, trace: traceOf(done) })
        else {
          printTrace(done)
          printLine(`closest ${closest.length} nodes:`)
          for (const n of closest) printLine(`  ${n.id} ${n.address}`)
        }
      })
    })
}
