import type { Command } from 'commander'

type Register = (program: Command) => void

/**
 * Where each top-level command is defined, in the order `plexus --help` lists them. The modules
 * are imported when used: a command's module pulls in its whole stack (the peer, the simulator,
 * onion routing...), and loading all of them cost 0.7-0.9 CPU-seconds on every start, even for
 * `plexus --version`. `names` must list every top-level command the module registers: the CLI
 * test builds the whole tree and checks this table against it.
 */
export interface CommandModule {
  readonly names: readonly string[]
  readonly load: () => Promise<Register>
}

export const COMMAND_MODULES: readonly CommandModule[] = [
  {
    names: ['create', 'info'],
    load: async () => (await import('./commands/torrent-files.js')).registerTorrentFiles,
  },
  {
    names: ['seed', 'get'],
    load: async () => (await import('./commands/transfer.js')).registerTransfer,
  },
  { names: ['tracker'], load: async () => (await import('./commands/tracker.js')).registerTracker },
  {
    names: ['directory', 'publish', 'search'],
    load: async () => (await import('./commands/directory.js')).registerDirectory,
  },
  { names: ['daemon'], load: async () => (await import('./commands/daemon.js')).registerDaemon },
  {
    names: ['add', 'list', 'show', 'pause', 'resume', 'remove', 'limits'],
    load: async () => (await import('./commands/remote.js')).registerRemote,
  },
  { names: ['ui'], load: async () => (await import('./commands/ui.js')).registerUi },
  { names: ['ping'], load: async () => (await import('./commands/ping.js')).registerPing },
  { names: ['dht'], load: async () => (await import('./commands/dht.js')).registerDht },
  {
    names: ['gnutella'],
    load: async () => (await import('./commands/gnutella.js')).registerGnutella,
  },
  { names: ['nat'], load: async () => (await import('./commands/nat.js')).registerNat },
  { names: ['mr'], load: async () => (await import('./commands/mr.js')).registerMr },
  { names: ['onion'], load: async () => (await import('./commands/onion.js')).registerOnion },
  {
    names: ['overlay'],
    load: async () => (await import('./commands/overlay.js')).registerOverlay,
  },
  { names: ['sim'], load: async () => (await import('./commands/sim.js')).registerSim },
  { names: ['lab'], load: async () => (await import('./commands/lab.js')).registerLab },
  { names: ['demo'], load: async () => (await import('./commands/demo.js')).registerDemo },
]

/**
 * The modules a command line needs. The program itself has no options that take a value, so the
 * first word not starting with '-' names the command. Only `--version` alone (with or without
 * `--json`) needs no command at all. Anything else without a known command name (help, a typo to
 * suggest a fix for, no arguments) gets the whole tree, so help and errors read as before.
 */
export function modulesFor(args: readonly string[]): readonly CommandModule[] {
  const word = args.find((arg) => !arg.startsWith('-'))
  if (word === undefined) {
    const flags = args.filter((arg) => arg !== '--json')
    const versionOnly = flags.length === 1 && (flags[0] === '--version' || flags[0] === '-V')
    return versionOnly ? [] : COMMAND_MODULES
  }
  const named = COMMAND_MODULES.find((module) => module.names.includes(word))
  return named === undefined ? COMMAND_MODULES : [named]
}
