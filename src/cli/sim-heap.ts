import { spawnSync } from 'node:child_process'
import { totalmem } from 'node:os'

/**
 * A big simulation allocates small objects (segments, messages, events) at a furious rate, and
 * many live for a few thousand events while in flight: with V8's default 16 MiB semi-spaces
 * every scavenge copies that live set again, and a 1,000-peer swarm spent a fifth of its time
 * there (`--trace-gc`: 21 s of scavenges per 115 s; 5.9 s with 256 MiB). The young generation
 * cannot be resized at run time, so `plexus sim` runs itself again with bigger semi-spaces (and
 * room for a big old generation, below).
 */
export const SIM_SEMI_SPACE_MB = 256

/**
 * The old generation's limit for a simulation: three quarters of the machine's memory. Node
 * 20's default (about 4 GiB on 64-bit) is what a 100,000-node DHT run needs, and it ended in
 * "Ineffective mark-compacts near heap limit" instead of finishing while 20 GiB stood free.
 */
export const simOldSpaceMb = (totalBytes = totalmem()): number =>
  Math.max(4096, Math.floor((totalBytes / 2 ** 20) * 0.75))
const MARK = 'PLEXUS_SIM_HEAP'

/**
 * The V8 flags the re-run adds. A limit the user gave in NODE_OPTIONS is left alone: flags on
 * the command line override NODE_OPTIONS, so adding ours would silently undo it. A lower limit
 * is worth having: with room to spare V8 grows the old generation lazily, and a 100,000-node
 * CAN run took 389 CPU-s and 5.2 GB with the default limit against 262 CPU-s and 3.2 GB with
 * `--max-old-space-size=3600` (docs/protocols/can.md).
 */
export function simHeapFlags(nodeOptions = '', totalBytes = totalmem()): string[] {
  const flags = [`--max-semi-space-size=${SIM_SEMI_SPACE_MB}`]
  if (!/--max-old-space-size[=\s]/.test(nodeOptions))
    flags.push(`--max-old-space-size=${simOldSpaceMb(totalBytes)}`)
  return flags
}

/**
 * For `plexus sim ...` in a process not yet tuned: runs the same command in a child with the
 * bigger young generation and returns its exit status; otherwise undefined (go on here).
 */
export function rerunSimWithBigYoungGeneration(argv: readonly string[]): number | undefined {
  if (argv[2] !== 'sim' || process.env[MARK] !== undefined) return undefined
  if (process.execArgv.some((flag) => flag.startsWith('--max-semi-space-size'))) return undefined
  const script = argv[1]
  if (script === undefined) return undefined
  // A limit given on the command line wins (it comes after ours).
  const heap = simHeapFlags(process.env['NODE_OPTIONS'])
  const child = spawnSync(
    process.execPath,
    [...heap, ...process.execArgv, script, ...argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, [MARK]: '1' } },
  )
  if (child.error !== undefined) return undefined // could not start: run here, untuned
  if (child.signal !== null) process.kill(process.pid, child.signal)
  return child.status ?? 1
}
