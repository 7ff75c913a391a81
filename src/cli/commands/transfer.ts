import type { Command } from 'commander'
import { constants } from 'node:fs'
import { access, mkdir, readFile, stat } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { address } from '../../core/address.js'
import { OperationalError, type OperationalErrorCode } from '../../core/errors.js'
import { NodeHashing } from '../../drivers/node/hashing.js'
import { promised } from '../../drivers/promises.js'
import { startNodePeer } from '../../peer/node-peer.js'
import type { PeerApi, TorrentSource } from '../../peer/types.js'
import {
  parseMagnet,
  parseMetainfo,
  type Magnet,
  type Metainfo,
} from '../../protocols/bittorrent/metainfo/index.js'
import { DEFAULT_SWARM_CONFIG } from '../../protocols/bittorrent/swarm/index.js'
import {
  CliError,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_USAGE,
  printJson,
  printLine,
  printWarning,
  usageError,
} from '../output.js'
import { defaultStateDir } from '../state-dir.js'
import { TransferEnding } from '../transfer-ending.js'
import { filePrioritiesOf } from './file-priorities.js'
import { TransferPrinter } from './transfer-printer.js'
import { formatBytes } from '../progress.js'

import {
  collectString,
  common,
  dhtFor,
  swarmConfigOf,
  type TransferOptions,
} from './transfer-options.js'

export function registerTransfer(program: Command): void {
  common(
    program
      .command('seed')
      .description("share a torrent's content with peers")
      .argument('<torrent>', '.torrent file')
      .requiredOption('--data <path>', 'directory holding the content (or the file itself)'),
  ).action(async (torrent: string, options: TransferOptions) => {
    const { metainfo, bytes } = await readTorrent(torrent)
    const saveDir = await saveDirForData(resolve(options.data as string), metainfo)
    await runTransfer('seed', { metainfo, bytes }, saveDir, options)
  })
  common(
    program
      .command('get')
      .description('download a torrent, then exit (or keep seeding with --seed-after)')
      .argument('<torrent>', '.torrent file or magnet: link')
      .option('-o, --output <dir>', 'directory to download into (default: the current one)')
      .option('--exit-on-complete', 'exit once every wanted piece is verified (the default)')
      .option('--seed-after', 'keep seeding after the download completes, until interrupted')
      .option('--sequential', 'download pieces in order, for streaming (default: rarest first)')
      .option(
        '--skip <index>',
        'do not download this file, numbered from 0 as `plexus info` lists them (repeatable)',
        collectString,
        [],
      )
      .option(
        '--only <index>',
        'download only this file, numbered as for --skip (repeatable)',
        collectString,
        [],
      )
      .option(
        '--anonymous',
        'reach peers and http(s) trackers only through onion circuits (--relays or --authorities); no DHT or uTP',
      )
      .option(
        '--relays <file|json>',
        'with --anonymous: the circuit, in order, as JSON lines of `plexus onion relay --json` records',
      )
      .option(
        '--authorities <file>',
        "with --anonymous: torrc DirAuthority lines; paths come from that tor network's consensus",
      )
      .option(
        '--no-distinct-subnets',
        'with --authorities: allow two relays of one /16 on a path (loopback test networks)',
      ),
  ).action(async (torrent: string, options: TransferOptions, command: Command) => {
    const onion = options.relays !== undefined || options.authorities !== undefined
    if (options.anonymous === true && !onion)
      throw usageError('--anonymous needs --relays or --authorities (where its circuits come from)')
    if (options.anonymous !== true && onion)
      throw usageError('--relays and --authorities go with --anonymous')
    if (options.seedAfter === true && options.exitOnComplete === true) {
      command.error('error: --seed-after and --exit-on-complete contradict each other', {
        exitCode: 2,
      })
    }
    const saveDir = resolve(options.output ?? '.')
    if (!torrent.startsWith('magnet:')) {
      const { metainfo, bytes } = await readTorrent(torrent)
      try {
        filePrioritiesOf(metainfo, options)
      } catch (error) {
        command.error(`error: ${(error as Error).message}`, { exitCode: 2 })
      }
      await prepareOutputDir(saveDir)
      return runTransfer('get', { metainfo, bytes }, saveDir, options)
    }
    const magnet = parseMagnet(torrent)
    if (!magnet.ok) throw usageError(`bad magnet link: ${magnet.error.message}`)
    await prepareOutputDir(saveDir)
    await runTransfer('get', { magnet: magnet.value, uri: torrent }, saveDir, options)
  })
}

/** A torrent given as a .torrent file's contents, or as a magnet whose metadata comes later. */
type TransferSource =
  | { readonly metainfo: Metainfo; readonly bytes: Uint8Array }
  | { readonly magnet: Magnet; readonly uri: string }

async function readTorrent(source: string): Promise<{ metainfo: Metainfo; bytes: Uint8Array }> {
  const bytes = await readFile(source).catch((error: Error) => {
    throw new Error(`cannot read ${source}: ${error.message}`)
  })
  const parsed = parseMetainfo(bytes, new NodeHashing())
  if (!parsed.ok) throw new Error(`${source}: ${parsed.error.message}`)
  return { metainfo: parsed.value, bytes }
}

/** libtorrent's save path: the directory holding `name`; a single file's own path works too. */
async function saveDirForData(data: string, m: Metainfo): Promise<string> {
  const info = await stat(data).catch(() => undefined)
  if (info === undefined) throw new Error(`--data ${data} does not exist`)
  if (info.isFile()) {
    if (!m.isSingleFile || basename(data) !== m.name) {
      throw new Error(`--data ${data} is a file; give the directory that holds '${m.name}'`)
    }
    return dirname(data)
  }
  return data
}

/** A magnet with no way to find a peer cannot even fetch its metadata: refused at once. */
function refuseMagnetWithoutPeerSource(
  magnet: Magnet,
  options: TransferOptions,
  dhtOn: boolean,
): void {
  const trackers = options.trackers === false ? [] : magnet.trackers
  const peers = options.peer.length + magnet.peers.length
  if (trackers.length > 0 || peers > 0 || dhtOn) return
  throw new CliError(
    'no peer source: the magnet names no tracker, no --peer was given and the DHT is off ' +
      '(drop --no-dht, or add --peer HOST:PORT or --dht-bootstrap HOST:PORT)',
    'no_peer_source',
  )
}

/**
 * `seed` and `get`: one torrent added to a Peer (`startNodePeer`), its events printed as they
 * come, until it completes (get), a signal, or a fatal condition.
 */
async function runTransfer(
  kind: 'seed' | 'get',
  source: TransferSource,
  saveDir: string,
  options: TransferOptions,
): Promise<void> {
  const json = options.json === true
  const anonymous = options.anonymous === true
  // Onion routing is a large module tree: loaded only for --anonymous (every get paid for it).
  const onion = anonymous ? await import('./anonymous.js') : undefined
  if (onion !== undefined) {
    const named = options.peer.length + ('magnet' in source ? source.magnet.peers.length : 0)
    const trackers =
      'magnet' in source ? source.magnet.trackers : source.metainfo.announceList.flat()
    options = {
      ...options,
      ...onion.anonymousOverrides(named, trackers, options.trackers, options.transport),
    }
  }
  const dht = await dhtFor(options)
  if ('magnet' in source) refuseMagnetWithoutPeerSource(source.magnet, options, dht !== false)
  const route = onion === undefined ? undefined : await onion.anonymousRoute(options, json)
  const started = performance.now()
  const ending = new TransferEnding()
  const peer = await startNodePeer({
    downloadDir: saveDir,
    stateDir: options.stateDir ?? defaultStateDir(),
    listen: address(options.bind, options.port),
    trackers: options.trackers !== false,
    dht,
    swarm: swarmConfigOf(options),
    ...(options.transport === undefined ? {} : { transports: options.transport }),
    // One torrent: the whole budget is its own.
    connectionsMax: options.maxPeers ?? DEFAULT_SWARM_CONFIG.peersMax,
    ...(route === undefined
      ? {}
      : {
          wrapNet: route.wrapNet,
          wrapHttp: route.wrapHttp,
          trackerTransport: route.trackerTransport,
        }),
  }).catch((error: unknown) => {
    route?.close()
    throw error
  })
  const dhtStatus = peer.dhtStatus()
  if (json && dhtStatus !== undefined) {
    printJson({ type: 'dht_listening', address: dhtStatus.address, id: dhtStatus.id })
  }
  const printer = new TransferPrinter(kind, json, options.data ?? saveDir, ending)
  let metainfo = 'metainfo' in source ? source.metainfo : undefined
  if (metainfo !== undefined) printer.known(metainfo)
  const infoHash = metainfo?.infoHashHex ?? ('magnet' in source ? source.magnet.infoHashHex : '')
  let opened = false
  peer.onEvent((event) => {
    if (!('infoHash' in event) || event.infoHash !== infoHash) return
    if (event.type === 'torrent_metadata') {
      if (json) printJson({ type: 'metadata_received', bytes: event.metadataBytes })
      metainfo = peer.metainfo(infoHash) as Metainfo
      printer.known(metainfo)
      try {
        const priorities = filePrioritiesOf(metainfo, options)
        // Set inside the event: they apply before the files are checked.
        if (priorities !== undefined) peer.setFilePriorities(infoHash, priorities, () => undefined)
      } catch (error) {
        ending.fail(usageError((error as Error).message))
      }
    } else if (event.type === 'torrent_event') {
      if (event.event.type === 'ready') opened = true
      printer.print(event.event)
    } else if (event.type === 'torrent_state') {
      if (event.state === 'seeding') ending.complete()
      if (event.state === 'error') {
        const code = (event.code ?? 'io') as OperationalErrorCode
        ending.fail(new OperationalError(code, event.error ?? 'the torrent stopped'))
      }
    }
  })
  let add: TorrentSource
  if ('magnet' in source) {
    if (!json) printLine(`fetching metadata for ${source.magnet.infoHashHex} (BEP 9)...`)
    add = { kind: 'magnet', uri: source.uri }
  } else add = { kind: 'metainfo', bytes: source.bytes }
  const filePriorities =
    metainfo !== undefined && kind === 'get' ? filePrioritiesOf(metainfo, options) : undefined
  await promised((done) =>
    peer.add(
      {
        source: add,
        saveDir: '',
        peers: options.peer,
        ...(filePriorities === undefined ? {} : { filePriorities }),
        ...(options.sequential === true ? { sequential: true } : {}),
        ...(options.recheck === true ? { recheck: true } : {}),
        ...(options.uploadLimit === undefined
          ? {}
          : { uploadRateLimit: options.uploadLimit * 1024 }),
        ...(options.downloadLimit === undefined
          ? {}
          : { downloadRateLimit: options.downloadLimit * 1024 }),
      },
      done,
    ),
  ).catch(async (error: unknown) => {
    await stopPeer(peer)
    route?.close()
    throw error
  })
  if (metainfo !== undefined) warnIfNoPeerSource(kind, metainfo, options, dht !== false)
  const stayForever = kind === 'seed' || options.seedAfter === true
  const end = await ending.wait(stayForever)
  const before = peer.list().find((status) => status.infoHash === infoHash)
  const complete = before?.complete ?? false
  await stopPeer(peer)
  route?.close()
  // Nothing ran (the files could not be opened, the metadata never came): the error alone.
  if (
    end.kind === 'fatal' &&
    (!opened || (end.error instanceof CliError && end.error.exitCode === EXIT_USAGE))
  ) {
    throw end.error
  }
  const status = peer.list().find((s) => s.infoHash === infoHash)
  const stats = printer.finalStats(status)
  printer.finish(stats)
  const seconds = (performance.now() - started) / 1000
  const summary = {
    type: 'summary',
    infoHash,
    complete,
    seconds: Math.round(seconds * 1000) / 1000,
    downloadedBytes: stats.downloadedBytes,
    uploadedBytes: stats.uploadedBytes,
  }
  if (json) printJson(summary)
  else {
    printLine(
      `${complete ? 'complete' : 'incomplete'} after ${seconds.toFixed(1)} s: ` +
        `down ${formatBytes(summary.downloadedBytes)}, up ${formatBytes(summary.uploadedBytes)}`,
    )
  }
  if (end.kind === 'fatal') throw end.error
  // A server stopped by a signal did its job; a download stopped before it finished did not.
  if (kind === 'get' && !complete) {
    process.exitCode = end.kind === 'interrupted' ? EXIT_INTERRUPTED : EXIT_FAILURE
  }
}

/** Leaves the swarm, writes resume data, ends the hashing workers and tracker sockets. */
async function stopPeer(peer: PeerApi): Promise<void> {
  await promised<void>((done) => peer.stop(done)).catch(() => undefined)
}

/** A download with no way to find a peer says so instead of waiting in silence. */
function warnIfNoPeerSource(
  kind: 'seed' | 'get',
  m: Metainfo,
  options: TransferOptions,
  dhtOn: boolean,
): void {
  const trackers = options.trackers === false ? 0 : m.announceList.flat().length
  if (trackers > 0 || options.peer.length > 0 || dhtOn) return
  printWarning(
    kind === 'get'
      ? 'no peer source: the torrent names no tracker, no --peer was given and the DHT is off; ' +
          'waiting for peers to connect to us'
      : 'no tracker and the DHT is off: only peers that already know this address will connect',
    'no_peer_source',
  )
}

/** The output folder exists and can be written, or the command ends here with one line. */
async function prepareOutputDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true })
    await access(dir, constants.W_OK | constants.X_OK)
  } catch (error) {
    const errno = (error as NodeJS.ErrnoException).code ?? 'error'
    const why =
      errno === 'EACCES' || errno === 'EPERM'
        ? 'permission denied'
        : errno === 'EROFS'
          ? 'read-only file system'
          : errno === 'ENOTDIR' || errno === 'EEXIST'
            ? 'a part of the path is a file, not a folder'
            : (error as Error).message
    throw new CliError(`cannot write to the output folder ${dir}: ${why} (${errno})`, 'permission')
  }
}
