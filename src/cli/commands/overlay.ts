import type { Command } from 'commander'
import { utf8 } from '../../core/bytes.js'
import { overlayDoneJson } from '../../drivers/overlay/done-json.js'
import { promised } from '../../drivers/promises.js'
import type { MemberEvent, OverlayName } from '../../drivers/overlay/member.js'
import { OVERLAY_NAMES } from '../../drivers/overlay/member.js'
import type { OverlayDone, OverlayService } from '../../drivers/overlay/overlay-service.js'
import { startOverlayNode } from '../../drivers/overlay/start.js'
import { startOverlayPlugin } from '../../peer/node-overlay.js'
import { bootstrapList } from '../dht/node-options.js'
import { integerOption, portOption } from '../options.js'
import { EXIT_FAILURE, printJson, printLine, usageError } from '../output.js'

/**
 * `plexus overlay <chord|pastry|can>`: run a node of a structured overlay over UDP, or use one
 * for a single command (put, get, remove, lookup) that prints the hop-by-hop trace. One-shot
 * commands never join: they send their operation through `--bootstrap` and follow the hops it
 * names, so they neither take a key range nor leave a dead entry behind.
 */

interface NodeFlags {
  readonly port: number
  readonly bind: string
  readonly advertise?: string
  readonly bind6?: string
  readonly advertise6?: string
  readonly bootstrap: string[]
  readonly state?: string
  readonly json?: boolean
  readonly timeout: number
}

/** Default UDP ports of the long-running nodes (one-shot commands pick a free one). */
const DEFAULT_PORTS: Readonly<Record<OverlayName, number>> = {
  chord: 7400,
  pastry: 7401,
  can: 7402,
}

const DESCRIPTIONS: Readonly<Record<OverlayName, string>> = {
  chord: 'Chord (Stoica et al. 2001): a ring of 160-bit ids, finger tables, successor lists',
  pastry: 'Pastry (Rowstron and Druschel 2001): prefix routing, leaf sets, proximity',
  can: 'CAN (Ratnasamy et al. 2001): zones of a d-torus, greedy forwarding, takeover',
}

function nodeFlags(command: Command, defaultPort: number): Command {
  return command
    .option('--port <n>', 'UDP port (0 picks one)', portOption, defaultPort)
    .option('--bind <addr>', 'IPv4 or IPv6 address to bind (:: for every IPv6 one)', '0.0.0.0')
    .option('--advertise <host>', 'address others reach this node at (default: the bound one)')
    .option(
      '--bootstrap <host:port,...>',
      'nodes to join through (repeatable; default: the nodes in --state)',
      bootstrapList,
      [],
    )
    .option('--json', 'print JSON lines')
    .option(
      '--timeout <seconds>',
      'give up on the command after this long',
      integerOption('timeout', 1, 3600),
      60,
    )
}

function printDone(done: OverlayDone, json: boolean): void {
  const shown = overlayDoneJson(done)
  if (json) {
    printJson({ type: 'done', ...shown })
  } else {
    const t = shown.trace
    printLine(`${done.kind}: ${t.hops} hops, ${t.messages} messages`)
    t.perHop.forEach((h, i) => {
      const id = h.id === undefined ? '' : ` ${h.id}`
      const time = h.ms === undefined ? '' : `, ${h.ms} ms`
      printLine(`  hop ${i + 1}: ${h.node}${id} -> ${h.outcome}${time}`)
    })
    if (shown.owner !== undefined) printLine(`owner ${shown.owner.id} ${shown.owner.address}`)
    if (shown.stored !== undefined) printLine(`stored on ${shown.stored} nodes`)
    if (shown.value !== undefined) printLine(`value: ${shown.value}`)
    if (shown.error !== undefined) printLine(`failed: ${shown.error}`)
  }
  if (!done.ok) process.exitCode = EXIT_FAILURE
}

function eventLine(event: MemberEvent): Record<string, unknown> | undefined {
  if (event.type === 'keys_moved' && 'count' in event) {
    return { type: 'keys_moved', count: event.count, direction: event.direction }
  }
  if (event.type === 'joined') return { type: 'joined' }
  return undefined
}

async function oneShot(
  overlay: OverlayName,
  flags: NodeFlags,
  body: (node: OverlayService) => Promise<OverlayDone>,
): Promise<void> {
  if (flags.bootstrap.length === 0) {
    throw usageError('--bootstrap is needed: the command is sent through a node of the overlay')
  }
  const node = await startOverlayNode({
    overlay,
    role: 'client',
    bind: flags.bind,
    port: flags.port,
    bootstrap: flags.bootstrap,
    ...(flags.advertise === undefined ? {} : { advertise: flags.advertise }),
  })
  const timer = setTimeout(() => {
    printLine(`gave up after ${flags.timeout} s`)
    process.exit(EXIT_FAILURE)
  }, flags.timeout * 1000)
  try {
    printDone(await body(node), flags.json === true)
  } finally {
    clearTimeout(timer)
    await node.close()
  }
}

function registerKind(overlay: Command, kind: OverlayName): void {
  const command = nodeFlags(
    overlay.command(kind).description(DESCRIPTIONS[kind]),
    DEFAULT_PORTS[kind],
  )
    .option('--state <file>', 'id and known nodes: loaded at start, saved while running')
    .option(
      '--bind6 <addr>',
      'also bind this IPv6 address (--bind being IPv4), same port: a dual-stack node that ' +
        'bridges IPv4-only and IPv6-only members',
    )
    .option('--advertise6 <host>', 'IPv6 address others reach a dual-stack node at')
    .action(async (flags: NodeFlags) => {
      const json = flags.json === true
      const node = await startOverlayPlugin({
        kind,
        bind: flags.bind,
        port: flags.port,
        bootstrap: flags.bootstrap,
        ...(flags.advertise === undefined ? {} : { advertise: flags.advertise }),
        ...(flags.bind6 === undefined ? {} : { bind6: flags.bind6 }),
        ...(flags.advertise6 === undefined ? {} : { advertise6: flags.advertise6 }),
        ...(flags.state === undefined ? {} : { state: flags.state }),
        onEvent: (event) => {
          const line = eventLine(event)
          if (line === undefined) return
          if (json) printJson(line)
          else printLine(Object.values(line).join(' '))
        },
      })
      const report = (type: string): void => {
        const status = node.status()
        if (json) {
          const { id, address, address6, summary } = status
          const six = address6 === undefined ? {} : { address6 }
          printJson({ type, overlay: kind, id, address, ...six, ...summary })
        } else {
          const rest = Object.entries(status.summary)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')
          const on = [status.address, status.address6].filter((a) => a !== undefined).join(' and ')
          printLine(`${kind} ${status.id} on ${on}: ${rest}`)
        }
      }
      report('listening')
      await node.joined
      report('ready')
      const interval = setInterval(() => report('stats'), 30_000)
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      clearInterval(interval)
      await promised<void>((done) => node.stop(done))
    })

  nodeFlags(command.command('put').description('store a value under a key (owner + replicas)'), 0)
    .argument('<key>', 'the key (text; hashed onto the id space)')
    .argument('<value>', 'the value (text)')
    .action(async (key: string, value: string, flags: NodeFlags) => {
      await oneShot(kind, flags, (node) => node.put(utf8(key), utf8(value)))
    })

  nodeFlags(command.command('get').description('read the value stored under a key'), 0)
    .argument('<key>', 'the key (text)')
    .action(async (key: string, flags: NodeFlags) => {
      await oneShot(kind, flags, (node) => node.get(utf8(key)))
    })

  nodeFlags(command.command('remove').description('delete a key at its owner and replicas'), 0)
    .argument('<key>', 'the key (text)')
    .action(async (key: string, flags: NodeFlags) => {
      await oneShot(kind, flags, (node) => node.remove(utf8(key)))
    })

  nodeFlags(
    command.command('lookup').description('find the node responsible for an id, printing each hop'),
    0,
  )
    .argument('<id>', idHelp(kind))
    .action(async (idText: string, flags: NodeFlags) => {
      await oneShot(kind, flags, (node) => {
        const id = node.member.idBytes(idText)
        if (id === undefined) throw usageError(`the id must be ${idHelp(kind)}, got '${idText}'`)
        return node.lookup(id)
      })
    })
}

function idHelp(kind: OverlayName): string {
  if (kind === 'chord') return '40 hex digits (a 160-bit ring id)'
  if (kind === 'pastry') return '32 hex digits (a 128-bit id)'
  return 'hex bytes (hashed to a point of the torus)'
}

export function registerOverlay(program: Command): void {
  const overlay = program
    .command('overlay')
    .description('run or use a Chord, Pastry or CAN node over UDP: see the commands')
  for (const kind of OVERLAY_NAMES) registerKind(overlay, kind)
}
