import type { Command } from 'commander'

/**
 * Two or three worked examples per command, shown at the end of its `--help`: most people read
 * the examples before the option list. Keyed by the command's path (`dht put`).
 */
const EXAMPLES: Readonly<Record<string, readonly string[]>> = {
  create: [
    'plexus create ./photos -t http://127.0.0.1:6969/announce -o photos.torrent',
    'plexus create big.iso --piece-length 4194304 --no-date --json',
    'plexus create ./album --v2 -o album.torrent',
  ],
  info: ['plexus info photos.torrent', "plexus info 'magnet:?xt=urn:btih:...' --json"],
  seed: [
    'plexus seed photos.torrent --data .          # the folder holding ./photos',
    'plexus seed photos.torrent --data . --port 6881 --upload-limit 512',
    'plexus seed photos.torrent --data . --recheck   # verify the files first',
  ],
  get: [
    'plexus get photos.torrent                     # into the current folder',
    "plexus get 'magnet:?xt=urn:btih:...' -o downloads",
    'plexus get photos.torrent -o dl --peer 127.0.0.1:6881 --no-dht --seed-after',
    'plexus get photos.torrent -o dl --anonymous --relays relays.jsonl --peer 127.0.0.1:6881',
    "plexus get 'magnet:?xt=urn:btih:...&tr=http://127.0.0.1:6969/announce' -o dl --anonymous --authorities net.txt   # tor relays' circuits",
  ],
  tracker: ['plexus tracker --port 6969', 'plexus tracker --port 0 --json'],
  directory: [
    'plexus directory --port 6969 --db directory.sqlite',
    'plexus directory --bind :: --port 6969 --db directory.sqlite --allow-list hashes.txt',
  ],
  publish: ['plexus publish photos.torrent --directory http://127.0.0.1:6969'],
  search: [
    'plexus search holiday photos --directory http://127.0.0.1:6969',
    'plexus search ubuntu iso --directory http://127.0.0.1:6969 --get 1 -o downloads',
  ],
  nat: [
    'plexus nat probe --stun 127.0.0.1:3478',
    'plexus nat server --bind 127.0.0.1 --alt-bind 127.0.0.2',
  ],
  'nat probe': [
    'plexus nat probe --stun 127.0.0.1:3478',
    'plexus nat probe --stun 127.0.0.1:3478 --bind 127.0.0.1 --json',
  ],
  'nat server': [
    'plexus nat server --bind 127.0.0.1 --alt-bind 127.0.0.2 --port 3478   # RFC 5780',
    'plexus nat server --bind 0.0.0.0 --port 3478                          # plain STUN',
  ],
  'nat relay': [
    'plexus nat relay --port 3478 --user alice:secret',
    'plexus nat relay --bind 0.0.0.0 --relay-host 192.0.2.10 --user alice:secret --allow-peer 192.0.2.0/24 --json',
  ],
  'nat reach': [
    'plexus nat reach --stun 192.0.2.10:3478 --relay-ports 40000-40099   # relay if the probe says public',
    'plexus nat reach --isolated --dht-port 6881 --assume reachable --relay-ports 40000-40015 --json',
    'plexus nat reach --bootstrap 127.0.0.1:6881 --assume unreachable --no-host-candidates --echo',
    'plexus nat reach --bootstrap 127.0.0.1:6881 --assume reachable --connect <64-hex key> --send hi',
  ],
  ping: ['plexus ping --listen --port 7000', 'plexus ping 127.0.0.1:7000 --count 5 --json'],
  dht: [
    'plexus dht --port 6881 --state dht.state',
    'plexus dht --isolated --bind 127.0.0.1 --port 6881   # the first node of a test network',
    'plexus dht --port 6881 --bind6 ::   # BEP 32: the IPv4 and the IPv6 DHT, one node id',
  ],
  'dht peers': [
    'plexus dht peers <infohash> --bootstrap 127.0.0.1:6881',
    'plexus dht peers <infohash> --scrape --bootstrap 127.0.0.1:6881   # BEP 33 seeds/peers estimate',
  ],
  'dht sample': [
    'plexus dht sample 127.0.0.1:6881 --bootstrap 127.0.0.1:6881   # BEP 51 sample_infohashes',
  ],
  'dht announce': ['plexus dht announce <infohash> --port 6881 --bootstrap 127.0.0.1:6881'],
  'dht put': [
    "plexus dht put 'hello' --bootstrap 127.0.0.1:6881",
    "plexus dht put 'v2' --key my.seed --salt s --bootstrap 127.0.0.1:6881",
  ],
  'dht get': ['plexus dht get <target> --bootstrap 127.0.0.1:6881'],
  'dht lookup': ['plexus dht lookup <id> --bootstrap 127.0.0.1:6881 --json'],
  overlay: [
    'plexus overlay chord --bind 127.0.0.1 --port 7400            # the first node of a ring',
    'plexus overlay can --port 0 --bootstrap 127.0.0.1:7402 --json   # join a CAN',
  ],
  'overlay chord': [
    'plexus overlay chord --bind 127.0.0.1 --port 7400   # the first node',
    'plexus overlay chord --port 0 --bootstrap 127.0.0.1:7400 --state chord.state --json',
  ],
  'overlay chord put': ['plexus overlay chord put colour blue --bootstrap 127.0.0.1:7400'],
  'overlay chord get': ['plexus overlay chord get colour --bootstrap 127.0.0.1:7400 --json'],
  'overlay chord remove': ['plexus overlay chord remove colour --bootstrap 127.0.0.1:7400'],
  'overlay chord lookup': [
    'plexus overlay chord lookup <40 hex digits> --bootstrap 127.0.0.1:7400',
  ],
  'overlay pastry': [
    'plexus overlay pastry --bind 127.0.0.1 --port 7401   # the first node',
    'plexus overlay pastry --port 0 --bootstrap 127.0.0.1:7401 --state pastry.state --json',
  ],
  'overlay pastry put': ['plexus overlay pastry put colour blue --bootstrap 127.0.0.1:7401'],
  'overlay pastry get': ['plexus overlay pastry get colour --bootstrap 127.0.0.1:7401 --json'],
  'overlay pastry remove': ['plexus overlay pastry remove colour --bootstrap 127.0.0.1:7401'],
  'overlay pastry lookup': [
    'plexus overlay pastry lookup <32 hex digits> --bootstrap 127.0.0.1:7401',
  ],
  'overlay can': [
    'plexus overlay can --bind 127.0.0.1 --port 7402   # the first node',
    'plexus overlay can --port 0 --bootstrap 127.0.0.1:7402 --state can.state --json',
  ],
  'overlay can put': ['plexus overlay can put colour blue --bootstrap 127.0.0.1:7402'],
  'overlay can get': ['plexus overlay can get colour --bootstrap 127.0.0.1:7402 --json'],
  'overlay can remove': ['plexus overlay can remove colour --bootstrap 127.0.0.1:7402'],
  'overlay can lookup': ['plexus overlay can lookup 6b6579 --bootstrap 127.0.0.1:7402'],
  gnutella: [
    'plexus gnutella --port 6346 --ultrapeer yes --share ./music   # the first node',
    'plexus gnutella --port 6347 --hosts 127.0.0.1:6346 --share ./more --json',
  ],
  'gnutella search': [
    'plexus gnutella search blue danube --hosts 127.0.0.1:6346',
    'plexus gnutella search blue danube --hosts 127.0.0.1:6346 --get 1 -o downloads --json',
  ],
  mr: ['plexus mr run --mapper cat --reducer "uniq -c" notes.txt -o out'],
  'mr run': [
    "plexus mr run --mapper 'tr -cs A-Za-z \"\\n\"' --reducer 'uniq -c' books/ -o counts --workers 4",
    'plexus mr run wordcount.js books/ -o counts --combine --reduces 4 --json',
    'plexus mr run --engine dask --scheduler tcp://127.0.0.1:8786 --mapper ./map.py --reducer ./reduce.py in/ -o out',
  ],
  'mr master': [
    'plexus mr master --port 7070 --mapper ./map.py --reducer ./reduce.py books/ -o counts',
    'plexus mr master --port 7070 -o counts      # resume after a crash, from counts/_temporary/master.log',
  ],
  'mr worker': [
    'plexus mr worker --master 127.0.0.1:7070',
    'plexus mr worker --master 10.0.0.5:7070 --bind 10.0.0.7 --json',
  ],
  onion: [
    'plexus onion fetch http://127.0.0.1:8080/file --authorities authorities.txt -o file',
    'plexus onion socks --port 9050 --authorities authorities.txt',
    'plexus onion relay --port 9001 --state ./relay1 --json',
  ],
  'onion relay': [
    'plexus onion relay --port 9001 --bind 127.0.0.1 --state ./relay1 --json > relay1.json',
    "plexus onion relay --port 0 --state ./exit --exit-policy 'accept 127.0.0.1:8080, reject *:*'",
  ],
  'onion fetch': [
    'cat relay1.json relay2.json relay3.json > relays.jsonl; plexus onion fetch http://127.0.0.1:8080/ --relays relays.jsonl',
    'plexus onion fetch http://127.0.0.1:8080/ --relays mixed.jsonl --authorities net.txt   # lines {"tor":"NICK"} name tor relays',
    'plexus onion fetch http://127.0.0.1:8080/ --authorities authorities.txt',
    'plexus onion fetch http://127.0.0.1:8080/big -o big --authorities net.txt --no-distinct-subnets --json',
  ],
  'onion socks': [
    'plexus onion socks --port 9050 --authorities authorities.txt',
    'curl --socks5-hostname 127.0.0.1:9050 http://127.0.0.1:8080/   # through plexus circuits',
  ],
  lab: [
    'plexus lab --quick --out lab-report        # about 2 minutes',
    'plexus lab --seed 7 --out lab-report       # full parameters, up to 15 minutes',
    'plexus lab --quick --only file-distribution --seed 7 --out lab-fd',
  ],
  sim: [
    'plexus sim ping-mesh --seed 7 --json',
    'plexus sim swarm --peers 1000 --json',
    'plexus sim gnutella --nodes 5000 --ttl 7 --mode both --graph power-law',
    'plexus sim gnutella --nodes 2000 --replications sweep --mode both   # hit rate per replication',
    'plexus sim gnutella --nodes 500 --ultrapeer-fraction 1 --query-ttl 7 --mode ultrapeer --json',
    'plexus sim nat --peers 10000 --sessions 2000',
    'plexus sim kademlia --nodes 100000 --lookups 10000 --churn-minutes 60 --refresh-by-query 1',
    'plexus sim pastry --nodes 100000 --join 0 --lookups 1000   # central start, then the protocol',
    'plexus sim compare --max-nodes 3000 --out overlays/   # Chord, Pastry, CAN, Kademlia',
    'plexus sim scenario.json',
  ],
  daemon: [
    'plexus daemon                                  # data dir <state>/daemon, API on 127.0.0.1:6890',
    'plexus daemon --config plexus.toml --data-dir /srv/plexus',
    'plexus daemon --print-config > plexus.toml     # every key with its default',
  ],
  add: [
    'plexus add photos.torrent -o photos',
    "plexus add 'magnet:?xt=urn:btih:...' --paused",
    'plexus add big.torrent --only 0 --only 2 --data-dir /srv/plexus',
  ],
  list: ['plexus list', 'plexus list --json', 'plexus list --api http://127.0.0.1:6890 --token T'],
  show: ['plexus show 3f9a          # a unique prefix of the info-hash', 'plexus show 3f9a --json'],
  pause: ['plexus pause 3f9a'],
  resume: ['plexus resume 3f9a'],
  remove: ['plexus remove 3f9a', 'plexus remove 3f9a --delete-data'],
  limits: [
    'plexus limits',
    'plexus limits --up 512 --down 2048',
    'plexus limits --up 0   # unlimited',
    'plexus limits --connections 400 --json',
  ],
  ui: [
    'plexus ui                # the dashboard URL, the token in its #fragment',
    'plexus ui --open',
    'plexus ui --data-dir /srv/plexus --json',
  ],
  demo: ['plexus demo', 'plexus demo --leechers 8 --size 256 --keep'],
}

function pathOf(command: Command): string {
  const names: string[] = []
  for (let c: Command | null = command; c?.parent !== null && c !== null; c = c.parent) {
    names.unshift(c.name())
  }
  return names.join(' ')
}

/** Adds the examples to every command of `program` (recursively) that has some. */
export function addExamples(program: Command): void {
  const visit = (command: Command): void => {
    const examples = EXAMPLES[pathOf(command)]
    if (examples !== undefined) {
      command.addHelpText('after', `\nExamples:\n${examples.map((e) => `  ${e}`).join('\n')}\n`)
    }
    command.commands.forEach(visit)
  }
  program.commands.forEach(visit)
}

/** The command paths that have examples (the CLI test checks every command has some). */
export const commandsWithExamples = (): readonly string[] => Object.keys(EXAMPLES)
