/**
 * CPU used by named processes over an interval, from /proc (Linux): utime + stime of every
 * thread of each process (/proc/PID/stat), and the whole machine's busy time (/proc/stat), so
 * a figure can say which process was busy during a transfer and how much of the 2 cores the
 * rest of the machine took.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const ticksPerSecond = ((): number => {
  const value = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim())
  return Number.isFinite(value) && value > 0 ? value : 100
})()

/** utime + stime of the process (all its threads), in ms; undefined once it is gone. */
function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the command name (which may hold spaces) start at field 3.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ticks = Number(fields[11]) + Number(fields[12])
    return (ticks * 1000) / ticksPerSecond
  } catch {
    return undefined
  }
}

/** The machine's busy and total CPU time since boot, in ms (all cores). */
function machineCpuMs(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
  const values = line.trim().split(/\s+/).slice(1).map(Number)
  const total = values.reduce((sum, value) => sum + value, 0)
  const idle = (values[3] ?? 0) + (values[4] ?? 0)
  return { busy: ((total - idle) * 1000) / ticksPerSecond, total: (total * 1000) / ticksPerSecond }
}

export interface CpuReport {
  readonly wallMs: number
  /** CPU ms per process over the interval. */
  readonly processes: Record<string, number>
  /** Every core's busy time over the interval, ours included. */
  readonly machineBusyMs: number
  /** Cores' capacity over the interval (cores x wall). */
  readonly machineCapacityMs: number
}

/** Starts measuring now; `stop` gives each process's CPU since then. */
export function startCpuMeter(pids: Readonly<Record<string, number | undefined>>) {
  const startedAt = performance.now()
  const machineStart = machineCpuMs()
  const start = new Map<string, number>()
  for (const [name, pid] of Object.entries(pids)) {
    const used = pid === undefined ? undefined : processCpuMs(pid)
    if (used !== undefined) start.set(name, used)
  }
  return {
    stop(): CpuReport {
      const wallMs = performance.now() - startedAt
      const machineEnd = machineCpuMs()
      const processes: Record<string, number> = {}
      for (const [name, pid] of Object.entries(pids)) {
        const before = start.get(name)
        const after = pid === undefined ? undefined : processCpuMs(pid)
        if (before !== undefined && after !== undefined) processes[name] = after - before
      }
      return {
        wallMs,
        processes,
        machineBusyMs: machineEnd.busy - machineStart.busy,
        machineCapacityMs: machineEnd.total - machineStart.total,
      }
    },
  }
}

/**
 * The report as figures: per process, CPU ms per MiB moved and its share of one core; the
 * machine's busy share, and what the processes measured took of it.
 */
export function cpuFigures(prefix: string, report: CpuReport, bytes: number) {
  const mib = bytes / 2 ** 20
  const figures: Record<string, number> = {}
  let ours = 0
  for (const [name, ms] of Object.entries(report.processes)) {
    ours += ms
    if (ms < 1) continue
    figures[`${prefix}Cpu_${name}_msPerMiB`] = Math.round((ms / mib) * 10) / 10
    figures[`${prefix}Cpu_${name}_coreShare`] = Math.round((ms / report.wallMs) * 100) / 100
  }
  figures[`${prefix}CpuOurs_msPerMiB`] = Math.round((ours / mib) * 10) / 10
  figures[`${prefix}MachineBusyShare`] =
    Math.round((report.machineBusyMs / report.machineCapacityMs) * 100) / 100
  figures[`${prefix}OthersCores`] =
    Math.round(((report.machineBusyMs - ours) / report.wallMs) * 100) / 100
  return figures
}
