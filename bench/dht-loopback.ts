import { randomBytes } from 'node:crypto'
import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Id160 } from '../src/core/id.js'
import { summarize } from '../src/core/stats.js'
import { DhtService } from '../src/drivers/kademlia/dht-service.js'
import { createNodeEnv } from '../src/drivers/node/env.js'

/**
 * Real DHT nodes on loopback: `processes` host processes (bench/dht-host.ts) run `perProcess`
 * plexus DHT nodes each (200 in all by default), joined through one bootstrap node in this
 * process. Then a client node here runs `lookups` find_node lookups for random targets,
 * `concurrency` at a time: lookups per second, median and p90 lookup time, hops. Finally the
 * hosts sit idle for `idleSeconds` (bucket refreshes and token rotation only): CPU per node.
 */

export interface BenchDhtOptions {
  readonly processes?: number
  readonly perProcess?: number
  readonly lookups?: number
  readonly concurrency?: number
  readonly idleSeconds?: number
}

const HOST = fileURLToPath(new URL('./dht-host.js', import.meta.url))

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

export async function benchDhtLoopback(
  options: BenchDhtOptions = {},
): Promise<Record<string, number>> {
  const processes = options.processes ?? 4
  const perProcess = options.perProcess ?? 50
  const lookups = options.lookups ?? 1000
  const concurrency = options.concurrency ?? 16
  const idleSeconds = options.idleSeconds ?? 10
  const env = createNodeEnv({ loopbackOnly: true })
  const hub = await DhtService.start({ env, bind: { host: '127.0.0.1', port: 0 } })
  const hosts = Array.from({ length: processes }, () =>
    spawn(process.execPath, [HOST, String(perProcess), `127.0.0.1:${hub.port}`], {
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  )
  try {
    await Promise.all(
      hosts.map(
        (child) =>
          new Promise<void>((resolve, reject) => {
            const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
            lines.once('line', () => resolve())
            child.once('exit', (code) => reject(new Error(`dht host exited with ${code}`)))
          }),
      ),
    )
    const client = await DhtService.start({
      env,
      bind: { host: '127.0.0.1', port: 0 },
      bootstrap: [hub.address],
    })
    await client.joined
    // A second join round so the first hosts' nodes learn of the later ones.
    await client.lookup(client.id)
    const times: number[] = []
    const hops: number[] = []
    let found = 0
    let next = 0
    const begin = performance.now()
    const worker = async (): Promise<void> => {
      while (next < lookups) {
        next++
        const started = performance.now()
        const done = await client.lookup(randomBytes(20) as unknown as Id160)
        times.push(performance.now() - started)
        hops.push(done.trace.hops)
        if (done.closest.length > 0) found++
      }
    }
    await Promise.all(Array.from({ length: concurrency }, worker))
    const seconds = (performance.now() - begin) / 1000
    await client.close()
    const before = hosts.map((h) => cpuSeconds(h.pid as number))
    await sleep(idleSeconds * 1000)
    const after = hosts.map((h) => cpuSeconds(h.pid as number))
    const idleCpu = after.reduce((sum, a, i) => sum + a - (before[i] as number), 0)
    const t = summarize(times)
    const h = summarize(hops)
    return {
      nodes: processes * perProcess,
      lookups,
      concurrency,
      lookupsPerSecond: Math.round(lookups / seconds),
      lookupMsP50: Math.round(t.p50),
      lookupMsP90: Math.round(t.p90),
      hopsMean: Number(h.mean.toFixed(2)),
      successRate: Number((found / lookups).toFixed(3)),
      idleCpuPercentPerNode: Number(
        ((idleCpu / idleSeconds / (processes * perProcess)) * 100).toFixed(3),
      ),
    }
  } finally {
    for (const host of hosts) host.stdin?.end()
    await sleep(500)
    for (const host of hosts) if (host.exitCode === null) host.kill('SIGTERM')
    await hub.close()
  }
}
