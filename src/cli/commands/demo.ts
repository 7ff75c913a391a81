import type { Command } from 'commander'
import { findScenario } from '../../lab/scenarios/index.js'
import { printLine } from '../output.js'
import { jsonLine, spawnPlexus } from '../spawn.js'

/**
 * `npm start`: something real until the BitTorrent swarm demo replaces it. Two plexus processes
 * ping each other over UDP on 127.0.0.1, then the same protocol code runs across 10,000
 * simulated hosts. Loopback only.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run the built-in demo: real processes on loopback, then the simulator')
    .option('--hosts <n>', 'simulated hosts', '10000')
    .action(async (options: { hosts: string }) => {
      await realPing()
      simulatedMesh(Number(options.hosts))
    })
}

async function realPing(): Promise<void> {
  const count = 10
  printLine('== 1. Two real processes on 127.0.0.1: plexus ping over UDP')
  const responder = spawnPlexus([
    'ping',
    '--listen',
    '--port',
    '0',
    '--json',
    '--exit-after',
    `${count}`,
  ])
  const listening = await responder.waitForLine((line) => {
    const event = jsonLine(line)
    return event?.type === 'listening' ? String(event['address']) : undefined
  })
  printLine(`responder (pid ${responder.child.pid}) answers on ${listening}`)
  const pinger = spawnPlexus(['ping', listening, '--count', `${count}`, '--interval', '100'])
  pinger.child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(chunk))
  const [pingerCode, responderCode] = await Promise.all([pinger.exited, responder.exited])
  if (pingerCode !== 0 || responderCode !== 0) {
    throw new Error(`demo processes failed (pinger ${pingerCode}, responder ${responderCode})`)
  }
  printLine()
}

function simulatedMesh(hosts: number): void {
  const scenario = findScenario('ping-mesh')
  if (scenario === undefined) throw new Error('ping-mesh scenario missing')
  printLine(`== 2. The same ping core on ${hosts} simulated hosts (plexus sim ping-mesh)`)
  const started = performance.now()
  const report = scenario.run({ ...scenario.defaults(), hosts }, 1)
  for (const line of scenario.format(report)) printLine(line)
  printLine(`(simulated in ${((performance.now() - started) / 1000).toFixed(1)} s of wall time)`)
}
