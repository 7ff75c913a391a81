import { join, resolve as resolvePath } from 'node:path'
import { InvalidArgumentError, Option, type Command } from 'commander'
import { addressKey, ipv4ToInt, parseAddress, type Address } from '../../core/address.js'
import type { GnutellaPluginConfig, UltrapeerMode } from '../../drivers/gnutella/gnutella-plugin.js'
import { startGnutellaNode } from '../../drivers/gnutella/node-gnutella.js'
import { promised } from '../../drivers/promises.js'
import type { GnutellaEvent } from '../../protocols/gnutella/index.js'
import { integerOption, portOption } from '../options.js'
import { defaultStateDir, underTestRunner } from '../state-dir.js'
import { EXIT_FAILURE, printJson, printLine, printWarning, usageError } from '../output.js'

/**
 * `plexus gnutella`: run a Gnutella 0.6 servent (ultrapeer or leaf) that shares a folder and
 * serves downloads on its port; `plexus gnutella search <words>`: join as a leaf, print the
 * hits grouped by file, and optionally download one from all its sources at once.
 */

const DEFAULT_PORT = 6346

/** `host:port[,host:port...]`, repeatable. */
export function hostsList(text: string, previous: Address[] = []): Address[] {
  const items = text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '')
  return [
    ...previous,
    ...items.map((item) => {
      const address = parseAddress(item)
      if (address === undefined || address.port === 0)
        throw new InvalidArgumentError(`expected HOST:PORT[,HOST:PORT...], got '${item}'`)
      return address
    }),
  ]
}

interface ServentFlags {
  readonly port: number
  readonly bind: string
  readonly advertise?: string
  readonly hosts: Address[]
  readonly ultrapeer: UltrapeerMode
  readonly share?: string
  readonly json?: boolean
  /** A path, or false for --no-host-cache; undefined: the default in the state folder. */
  readonly hostCache?: string | false
  readonly firewalled?: boolean
}

/** Pongs and QueryHits carry an IPv4 address: `--advertise` must be one. */
export function ipv4Option(text: string): string {
  if (ipv4ToInt(text.trim()) === undefined)
    throw new InvalidArgumentError(`expected an IPv4 address (QueryHits carry one), got '${text}'`)
  return text.trim()
}

function advertisedHost(flags: { bind: string; advertise?: string }): string {
  if (flags.advertise !== undefined) return flags.advertise
  // A wildcard bind says nothing about where others reach us: loopback unless told.
  // (and an IPv6 bind cannot be put in a QueryHit's IPv4 field).
  return flags.bind === '0.0.0.0' || ipv4ToInt(flags.bind) === undefined ? '127.0.0.1' : flags.bind
}

function serventOptions(command: Command, defaultPort: number): Command {
  return command
    .option(
      '--port <n>',
      'TCP port for Gnutella and downloads (0 picks one)',
      portOption,
      defaultPort,
    )
    .option('--bind <addr>', 'address to listen on', '0.0.0.0')
    .option(
      '--advertise <host>',
      'IPv4 address put in Pongs and QueryHits (default: --bind, or 127.0.0.1)',
      ipv4Option,
    )
    .option('--hosts <host:port,...>', 'servents to connect to (repeatable)', hostsList, [])
    .option('--json', 'print JSON lines')
}

/**
 * The servent's host cache: `--host-cache FILE`, else `<state>/gnutella-hosts.txt` (not under
 * the test runner, where only an explicit file is used); `--no-host-cache` for none.
 */
function hostCacheFile(flags: ServentFlags): string | undefined {
  if (flags.hostCache === false) return undefined
  if (typeof flags.hostCache === 'string') return flags.hostCache
  return underTestRunner() ? undefined : join(defaultStateDir(), 'gnutella-hosts.txt')
}

/** The plug-in's configuration from the flags (a one-shot search leaves the host cache alone). */
function pluginConfig(flags: ServentFlags, oneShot: boolean): GnutellaPluginConfig {
  const hostCache = oneShot ? undefined : hostCacheFile(flags)
  return {
    bind: { host: flags.bind, port: flags.port },
    advertisedHost: advertisedHost(flags),
    hosts: flags.hosts,
    ultrapeer: flags.ultrapeer,
    ...(flags.share === undefined ? {} : { shareDir: flags.share }),
    ...(hostCache === undefined ? {} : { hostCacheFile: hostCache }),
    ...(flags.firewalled === true ? { firewalled: true } : {}),
    log: (line) => printWarning(line),
  }
}

function describeEvent(e: GnutellaEvent): Record<string, unknown> | undefined {
  switch (e.type) {
    case 'connection_opened':
      return { type: 'connected', address: addressKey(e.remote), role: e.peerRole }
    case 'connection_closed':
      return { type: 'disconnected', address: addressKey(e.remote), reason: e.reason }
    case 'handshake_refused':
      return { type: 'refused', code: e.code, tryUltrapeers: e.tryUltrapeers.map(addressKey) }
    case 'remote_fault':
      return { type: 'fault', code: e.fault.code }
    default:
      return undefined
  }
}

async function runServent(flags: ServentFlags): Promise<void> {
  const gnutella = await startGnutellaNode(pluginConfig(flags, false))
  const files = gnutella.sharedFiles()
  const address = addressKey(gnutella.address)
  const role = gnutella.role
  if (flags.json === true) printJson({ type: 'listening', address, role, files })
  else
    printLine(
      `gnutella ${role} on ${address}, sharing ${files.length} files` +
        (flags.share === undefined ? '' : ` from ${resolvePath(flags.share)}`),
    )
  gnutella.onEvent((e) => {
    const d = describeEvent(e)
    if (d === undefined) return
    if (flags.json === true) printJson(d)
    else printLine(Object.values(d).map(String).join(' '))
  })
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await promised<void>((done) => gnutella.stop(done))
}

interface SearchFlags extends ServentFlags {
  readonly wait: number
  readonly get?: number
  readonly output: string
}

async function runSearch(words: string[], flags: SearchFlags): Promise<void> {
  if (flags.hosts.length === 0) throw usageError('search needs --hosts HOST:PORT (an ultrapeer)')
  const criteria = words.join(' ').trim()
  if (criteria === '') throw usageError('give the words to search for')
  const gnutella = await startGnutellaNode(pluginConfig(flags, true))
  try {
    const opened = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), flags.wait * 1000)
      gnutella.onEvent((e) => {
        if (e.type === 'connection_opened') {
          clearTimeout(timer)
          resolve(true)
        }
      })
    })
    if (!opened) {
      process.exitCode = EXIT_FAILURE
      throw new Error(
        `no connection to ${flags.hosts.map(addressKey).join(', ')} within ${flags.wait} s`,
      )
    }
    const search = gnutella.search(criteria)
    await new Promise((r) => setTimeout(r, flags.wait * 1000))
    const list = [...search.files]
    const results = list.map((f, i) => ({
      index: i + 1,
      name: f.name,
      length: f.length,
      ...(f.urn === undefined ? {} : { urn: f.urn }),
      speed: f.speed,
      sources: f.sources.map(addressKey),
      firewalled: f.firewalled.map((s) => addressKey(s.address)),
    }))
    if (flags.json === true) printJson({ type: 'results', query: criteria, results })
    else {
      printLine(`${results.length} files for '${criteria}'`)
      for (const r of results)
        printLine(
          `${r.index}. ${r.name}  ${r.length} bytes  ${r.sources.length} sources` +
            (r.firewalled.length > 0 ? ` (+${r.firewalled.length} firewalled)` : '') +
            `  ${r.speed} kb/s`,
        )
    }
    if (list.length === 0) {
      process.exitCode = EXIT_FAILURE
      return
    }
    if (flags.get === undefined) return
    const chosen = list[flags.get - 1]
    if (chosen === undefined)
      throw usageError(`--get ${flags.get}: there are ${list.length} results`)
    if (chosen.urn === undefined)
      throw new Error(`result ${flags.get} has no urn:sha1, cannot verify it`)
    const started = Date.now()
    const { record, finished } = gnutella.download(chosen, flags.output)
    const done = await finished
    if (done === undefined) throw new Error(record.error ?? 'download failed')
    const summary = {
      type: 'summary',
      path: done.path,
      length: done.length,
      urn: record.urn,
      sources: Object.keys(done.bytesBySource),
      droppedSources: done.droppedSources,
      seconds: Math.round((Date.now() - started) / 100) / 10,
    }
    if (flags.json === true) printJson(summary)
    else
      printLine(
        `saved ${done.path} (${done.length} bytes, SHA-1 verified, ${summary.sources.length} sources)`,
      )
  } finally {
    await promised<void>((done) => gnutella.stop(done))
  }
}

export function registerGnutella(program: Command): void {
  const gnutella = serventOptions(
    program
      .command('gnutella')
      .description('run a Gnutella 0.6 servent that shares a folder (see also: gnutella search)'),
    DEFAULT_PORT,
  )
    .addOption(
      new Option('--ultrapeer <mode>', 'role: auto (first node ultrapeer, joiners leaves), yes, no')
        .choices(['auto', 'yes', 'no'])
        .default('auto'),
    )
    .option('--share <dir>', 'folder to share (files hashed to SHA-1 URNs; links not followed)')
    .option(
      '--host-cache <file>',
      'hosts known, read at start and saved at exit (default: <state>/gnutella-hosts.txt)',
    )
    .option('--no-host-cache', 'neither read nor save a host cache')
    .option(
      '--firewalled',
      'we cannot accept connections: hits carry the push flag, downloads come by Push/GIV',
    )
    .action(runServent)
  serventOptions(
    gnutella
      .command('search')
      .description(
        'search the Gnutella network as a leaf; --get N downloads result N from all its sources',
      )
      .argument('<words...>', 'keywords (every word must match)'),
    0,
  )
    .option('--wait <seconds>', 'how long to collect hits', integerOption('wait', 1, 600), 5)
    .option('--get <n>', 'download result n (1 = first)', integerOption('get', 1, 100_000))
    .option('-o, --output <dir>', 'folder for --get', '.')
    .action((words: string[], flags: SearchFlags) =>
      runSearch(words, { ...flags, ultrapeer: 'no' }),
    )
}
