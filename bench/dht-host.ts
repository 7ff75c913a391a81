import { createNodeEnv } from '../src/drivers/node/env.js'
import { DhtService } from '../src/drivers/kademlia/dht-service.js'
import { parseAddress } from '../src/core/address.js'

/**
 * A helper process for the DHT benchmark: runs `count` DHT nodes on 127.0.0.1 in this one
 * process, each joining through `bootstrap`, prints one JSON line with their addresses, and
 * serves until stdin closes. Usage: node dht-host.js <count> <host:port>
 */
const count = Number(process.argv[2] ?? 50)
const bootstrap = parseAddress(process.argv[3] ?? '')
if (bootstrap === undefined || !Number.isInteger(count) || count < 1) {
  process.stderr.write('usage: dht-host <count> <bootstrap host:port>\n')
  process.exit(2)
}
const env = createNodeEnv({ loopbackOnly: true })
const nodes: DhtService[] = []
for (let i = 0; i < count; i++) {
  const node = await DhtService.start({
    env,
    bind: { host: '127.0.0.1', port: 0 },
    bootstrap: [bootstrap],
  })
  nodes.push(node)
}
await Promise.all(nodes.map((n) => n.joined))
process.stdout.write(
  `${JSON.stringify({ type: 'ready', addresses: nodes.map((n) => `127.0.0.1:${n.port}`) })}\n`,
)
process.stdin.resume()
process.stdin.on('end', () => {
  void Promise.all(nodes.map((n) => n.close())).then(() => process.exit(0))
})
