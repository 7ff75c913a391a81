#!/usr/bin/python3
"""libtorrent's Mainline DHT (BEP 5, BEP 44) for plexus interop tests, on 127.0.0.1 only.

  lt_dht.py [--host 127.0.0.1|::1] [--port N] [--bootstrap host:port]... [--set setting=value]...

--host picks the one loopback address libtorrent listens on (its TCP, uTP and DHT socket):
127.0.0.1 (the default) or ::1, where its DHT is the IPv6 one of BEP 32. A bootstrap node
of an IPv6 address is written [::1]:port; peers over IPv6 are reported as "[::1]:port".

A long-running process driven by JSON lines on stdin, answering JSON lines on stdout. Once
listening it prints {"event": "ready", "port": <TCP listen port>, "dhtPort": <UDP port>}.
Every command may carry an "id" (any JSON value); the answers to it echo that id.

  {"cmd": "add_node", "host": "127.0.0.1", "port": N}     -> {"event": "node_added"}
  {"cmd": "announce", "infoHash": hex40[, "port": N]}     -> {"event": "announced", "infoHash",
                                                             "port", "peers"}
  {"cmd": "get_peers", "infoHash": hex40[, "waitMs": N]}  -> {"event": "peers", "infoHash",
                                                             "peers": ["127.0.0.1:port", ...]}
  {"cmd": "put_immutable", "value": str}                  -> {"event": "put", "target", "nodes"}
  {"cmd": "get_immutable", "target": hex40}               -> {"event": "item", "target",
                                                             "value": str | null}
  {"cmd": "put_mutable", "seed": hex64, "salt": str, "value": str}
                                       -> {"event": "put", "publicKey", "salt", "seq", "nodes"}
  {"cmd": "get_mutable", "publicKey": hex64, "salt": str} -> {"event": "item", "publicKey",
                                                             "salt", "value": str | null, "seq"}
  {"cmd": "routing_table"}                                -> {"event": "routing_table", "nodes"}
  {"cmd": "sample_infohashes", "host", "port"[, "target": hex40]}
                                       -> {"event": "samples", "interval", "num",
                                           "samples": [hex40, ...], "nodes"}  (BEP 51)
  {"cmd": "quit"}                                         -> {"event": "bye"}, exit 0
A failed command answers {"event": "error", "message": ...}; the process keeps running.

Values. A value is a JSON string; its UTF-8 bytes are stored as one bencoded byte string, so
the DHT item's "v" is `<length>:<bytes>` (the immutable target is SHA-1 of exactly those
bencoded bytes, e.g. "hello" -> sha1(b"5:hello")). A salt is the UTF-8 bytes of its string,
used raw (BEP 44 signs `4:salt<len>:<salt>3:seqi<n>e1:v<bencoded value>`). A value read back
that is not a byte string is answered as its bencoding, decoded as Latin-1. The mutable key
pair comes from a 32-byte ed25519 seed (RFC 8032): the public key is derived here in Python
(the bindings expose no ed25519 helper), and libtorrent is handed its 64-byte secret key form,
SHA-512(seed) with the scalar clamped. The sequence number is not ours to choose: the bindings'
put callback takes the highest seq its lookup found (0 when none) and adds one, so the first
put of a key and salt is seq 1.

Completion. Each command answers when libtorrent posts the alert that ends its operation:
dht_put_alert (put_*), dht_immutable_item_alert, the authoritative dht_mutable_item_alert
(get_*), dht_reply_alert (announce), dht_stats_alert (routing_table). get_peers has no end
alert: libtorrent posts one dht_get_peers_reply_alert per node that answered with peers, so
its answer comes once the lookup has been quiet (no outgoing get_peers and no replies) for a
second, or after waitMs (default 10 s), with every peer gathered. Deadlines beyond that are the
caller's.

Settings, and what each one changed (libtorrent 2.0.8, four sessions on 127.0.0.1, the first
the others' bootstrap node; `--set name=value` restores a default for such an experiment):
- dht_block_ratelimit high, dht_block_timeout 1 s: NEEDED. The DHT's DoS blocker counts queries
  per source IP (default 5 a second, then 300 s of silence) and every node here is 127.0.0.1;
  with the defaults a node went silent mid-test and put_mutable never answered.
- dht_restrict_routing_ips = false: NEEDED for a real table. By default the routing table keeps
  one node per IP, so the bootstrap node's table held 1 node instead of 3 and puts reached 2-3
  nodes instead of 4. A four-node swarm still limped along on direct contacts; a plexus node
  joining next to libtorrent nodes (same IP) would be the one left out.
- dht_restrict_search_ips = false: the same one-per-IP rule on lookup results; no failure seen
  alone in this swarm, lifted because lookups here only ever meet 127.0.0.1.
- dht_ignore_dark_internet = false, dht_enforce_node_id = false, dht_prefer_verified_node_ids =
  false: no failure seen in this swarm with them at their defaults; lifted because loopback node
  ids cannot be BEP 42-valid (and plexus's on loopback will not be either), and reserved
  address ranges are all these tests use (docs/references.md advises the same).
- dht_bootstrap_nodes = the --bootstrap nodes or "": the default is dht.libtorrent.org:25401,
  a public node, which a loopback test must never contact.
- enable_lsd/enable_upnp/enable_natpmp = false: nothing but loopback traffic.
- allow_multiple_connections_per_ip = true: every peer here is 127.0.0.1.
- alert_mask with dht_notification (items, puts, announce replies), dht_operation_notification
  (dht_get_peers_reply_alert, outgoing get_peers: without it get_peers always answered []),
  status_notification (listen sockets), error_notification.

announce. These bindings cannot call session.dht_announce: its flags argument
(dht::announce_flags_t) has no Python converter, so every call fails to match. The announce
is therefore made by adding a magnet-style torrent with that info-hash and forcing its DHT
announce, which announces the session's own listen port. A "port" other than that is an error.
That torrent stays in the session (later announces repeat the lookup) and, having no metadata,
may dial the peers it finds over TCP (BEP 9); it never writes to disk.
"""
import hashlib
import json
import queue
import shutil
import sys
import tempfile
import threading
import time

import libtorrent as lt

GET_PEERS_QUIET_S = 1.0
GET_PEERS_WAIT_S = 10.0


def say(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


# --- ed25519 public key from a seed (RFC 8032, section 5.1.5), plain integer arithmetic ---
P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P


def _recover_x(y, sign):
    xx = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    x = pow(xx, (P + 3) // 8, P)
    if (x * x - xx) % P != 0:
        x = x * pow(2, (P - 1) // 4, P) % P
    if x & 1 != sign:
        x = P - x
    return x


_BY = 4 * pow(5, P - 2, P) % P
BASE = (_recover_x(_BY, 0), _BY, 1, _recover_x(_BY, 0) * _BY % P)


def _add(a, b):
    # Extended twisted Edwards coordinates (X, Y, Z, T), a = -1.
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    k = (y1 - x1) * (y2 - x2) % P
    m = (y1 + x1) * (y2 + x2) % P
    c = 2 * D * t1 * t2 % P
    dd = 2 * z1 * z2 % P
    e, f, g, h = m - k, dd - c, dd + c, m + k
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def _multiply(scalar, point):
    result = (0, 1, 1, 0)
    while scalar > 0:
        if scalar & 1:
            result = _add(result, point)
        point = _add(point, point)
        scalar >>= 1
    return result


def ed25519_keys(seed):
    """(public key 32 bytes, libtorrent's 64-byte secret key) for a 32-byte seed."""
    if len(seed) != 32:
        raise ValueError("seed must be 32 bytes")
    digest = bytearray(hashlib.sha512(seed).digest())
    digest[0] &= 248
    digest[31] &= 63
    digest[31] |= 64
    x, y, z, _ = _multiply(int.from_bytes(digest[:32], "little"), BASE)
    zi = pow(z, P - 2, P)
    x, y = x * zi % P, y * zi % P
    public = (y | ((x & 1) << 255)).to_bytes(32, "little")
    return public, bytes(digest)


# --- values ---
def entry_text(entry):
    """A DHT item's value as the JSON string described above."""
    if isinstance(entry, bytes):
        return entry.decode("utf-8", errors="replace")
    if isinstance(entry, str):
        return entry
    return lt.bencode(entry).decode("latin-1")


def item_value(alert):
    """The alert's item, or None when libtorrent found nothing (an undefined entry)."""
    try:
        item = alert.item
    except RuntimeError:
        return None
    # These bindings give the item as a dict: {"key", "value"} for immutable items, and
    # {"key", "value", "signature", "seq", "salt", "authoritative"} for mutable ones.
    value = item.get("value", item.get(b"value")) if isinstance(item, dict) else item
    if value is None:
        return None
    try:
        return entry_text(value)
    except RuntimeError:
        return None


def as_bytes(value):
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def hex_hash(text, size, what):
    raw = bytes.fromhex(text)
    if len(raw) != size:
        raise ValueError(f"{what} must be {size} bytes of hex")
    return raw


def bracket(host):
    """An IPv6 literal in brackets, as libtorrent's interface and node lists write it."""
    return f"[{host}]" if ":" in host else host


class Helper:
    def __init__(self, host, port, bootstrap, overrides):
        c = lt.alert.category_t
        settings = {
                "listen_interfaces": f"{bracket(host)}:{port}",
                "outgoing_interfaces": "",
                "enable_dht": True,
                "dht_bootstrap_nodes": ",".join(f"{bracket(h)}:{p}" for h, p in bootstrap),
                "enable_lsd": False,
                "enable_upnp": False,
                "enable_natpmp": False,
                "allow_multiple_connections_per_ip": True,
                "dht_restrict_routing_ips": False,
                "dht_restrict_search_ips": False,
                "dht_ignore_dark_internet": False,
                "dht_enforce_node_id": False,
                "dht_prefer_verified_node_ids": False,
                "dht_block_ratelimit": 100000,
                "dht_block_timeout": 1,
                "alert_mask": c.dht_notification
                | c.dht_operation_notification
                | c.status_notification
                | c.error_notification
                | c.tracker_notification,
                "user_agent": "libtorrent-interop",
        }
        settings.update(overrides)
        self.session = lt.session(settings)
        self.save_path = tempfile.mkdtemp(prefix="lt-dht-")
        self.port = 0
        self.dht_port = 0
        self.torrents = {}  # info-hash hex -> handle
        self.puts_immutable = {}  # target hex -> [ids]
        self.puts_mutable = {}  # (public key hex, salt bytes) -> [ids]
        self.gets_immutable = {}  # target hex -> [ids]
        self.gets_mutable = {}  # (public key hex, salt bytes) -> [ids]
        self.lookups = {}  # info-hash hex -> state dict
        self.announces = {}  # info-hash hex -> [ids]
        self.stats = []  # [ids]
        self.samples = {}  # "host:port" -> [ids]

    def close(self):
        shutil.rmtree(self.save_path, ignore_errors=True)

    def wait_listening(self, timeout=20.0):
        deadline = time.time() + timeout
        while (self.port == 0 or self.dht_port == 0) and time.time() < deadline:
            self.session.wait_for_alert(100)
            for alert in self.session.pop_alerts():
                if isinstance(alert, lt.listen_succeeded_alert):
                    kind = str(alert.socket_type)
                    if kind.endswith("tcp"):
                        self.port = alert.port
                    elif kind.endswith("udp") or kind.endswith("utp"):
                        self.dht_port = alert.port
                elif isinstance(alert, lt.listen_failed_alert):
                    raise RuntimeError(alert.message())
        if self.port == 0 or self.dht_port == 0:
            raise RuntimeError("libtorrent did not report its listen sockets")

    # --- commands ---
    def command(self, msg):
        cid = msg.get("id")
        cmd = msg.get("cmd")
        if cmd == "add_node":
            self.session.add_dht_node((str(msg.get("host", "127.0.0.1")), int(msg["port"])))
            self.reply(cid, event="node_added", host=msg.get("host", "127.0.0.1"), port=int(msg["port"]))
        elif cmd == "announce":
            self.announce(cid, msg)
        elif cmd == "get_peers":
            ih = hex_hash(msg["infoHash"], 20, "infoHash").hex()
            wait = float(msg.get("waitMs", GET_PEERS_WAIT_S * 1000)) / 1000
            now = time.time()
            state = self.lookups.get(ih)
            if state is None:
                state = {"ids": [], "peers": [], "started": now, "active": now, "wait": wait}
                self.lookups[ih] = state
            state["ids"].append(cid)
            self.session.dht_get_peers(lt.sha1_hash(bytes.fromhex(ih)))
        elif cmd == "put_immutable":
            value = as_bytes(msg["value"])
            target = str(self.session.dht_put_immutable_item(value))
            self.puts_immutable.setdefault(target, []).append(cid)
        elif cmd == "get_immutable":
            target = hex_hash(msg["target"], 20, "target").hex()
            self.gets_immutable.setdefault(target, []).append(cid)
            self.session.dht_get_immutable_item(lt.sha1_hash(bytes.fromhex(target)))
        elif cmd == "put_mutable":
            public, secret = ed25519_keys(hex_hash(msg["seed"], 32, "seed"))
            salt = as_bytes(msg.get("salt", ""))
            self.puts_mutable.setdefault((public.hex(), salt), []).append(cid)
            self.session.dht_put_mutable_item(secret, public, as_bytes(msg["value"]), salt)
        elif cmd == "get_mutable":
            public = hex_hash(msg["publicKey"], 32, "publicKey")
            salt = as_bytes(msg.get("salt", ""))
            self.gets_mutable.setdefault((public.hex(), salt), []).append(cid)
            self.session.dht_get_mutable_item(public, salt)
        elif cmd == "add_torrent":
            # A real download or seed with the DHT as its only peer source (no trackers).
            if "magnet" in msg:
                params = lt.parse_magnet_uri(str(msg["magnet"]))
            else:
                params = lt.add_torrent_params()
                params.ti = lt.torrent_info(str(msg["torrent"]))
            params.save_path = str(msg["savePath"])
            params.flags &= ~lt.torrent_flags.auto_managed
            params.flags &= ~lt.torrent_flags.paused
            handle = self.session.add_torrent(params)
            ih = str(handle.info_hashes().v1)
            self.torrents[ih] = handle
            self.reply(cid, event="torrent_added", infoHash=ih)
        elif cmd == "torrent_status":
            ih = hex_hash(msg["infoHash"], 20, "infoHash").hex()
            handle = self.torrents.get(ih)
            if handle is None:
                raise ValueError(f"no torrent {ih}")
            st = handle.status()
            self.reply(
                cid,
                event="torrent_status",
                infoHash=ih,
                progress=st.progress,
                seeding=bool(st.is_seeding),
                peers=st.num_peers,
                hasMetadata=bool(st.has_metadata),
            )
        elif cmd == "sample_infohashes":
            host, port = str(msg.get("host", "127.0.0.1")), int(msg["port"])
            target = hex_hash(msg.get("target", "00" * 20), 20, "target")
            self.samples.setdefault(f"{host}:{port}", []).append(cid)
            self.session.dht_sample_infohashes((host, port), lt.sha1_hash(target))
        elif cmd == "routing_table":
            self.stats.append(cid)
            self.session.post_dht_stats()
        else:
            raise ValueError(f"unknown cmd {cmd!r}")

    def announce(self, cid, msg):
        ih = hex_hash(msg["infoHash"], 20, "infoHash").hex()
        port = int(msg.get("port", 0) or 0)
        if port not in (0, self.port):
            raise ValueError(
                f"only the session's listen port {self.port} can be announced "
                "(dht_announce is not callable from these bindings)"
            )
        self.announces.setdefault(ih, []).append(cid)
        handle = self.torrents.get(ih)
        if handle is None:
            params = lt.add_torrent_params()
            params.info_hashes = lt.info_hash_t(lt.sha1_hash(bytes.fromhex(ih)))
            params.save_path = self.save_path
            params.flags &= ~lt.torrent_flags.auto_managed
            params.flags &= ~lt.torrent_flags.paused
            handle = self.session.add_torrent(params)
            self.torrents[ih] = handle
        handle.force_dht_announce()

    def reply(self, cid, **fields):
        if cid is not None:
            fields["id"] = cid
        say(**fields)

    def answer_all(self, table, key, **fields):
        for cid in table.pop(key, []):
            self.reply(cid, **fields)

    # --- alerts ---
    def alert(self, a):
        if isinstance(a, lt.dht_put_alert):
            public = bytes(a.public_key)
            if any(public):
                salt = as_bytes(a.salt)
                self.answer_all(
                    self.puts_mutable,
                    (public.hex(), salt),
                    event="put",
                    publicKey=public.hex(),
                    salt=salt.decode("utf-8", errors="replace"),
                    seq=a.seq,
                    nodes=a.num_success,
                )
            else:
                target = str(a.target)
                self.answer_all(self.puts_immutable, target, event="put", target=target, nodes=a.num_success)
        elif isinstance(a, lt.dht_immutable_item_alert):
            target = str(a.target)
            self.answer_all(self.gets_immutable, target, event="item", target=target, value=item_value(a))
        elif isinstance(a, lt.dht_mutable_item_alert):
            if not a.authoritative:
                return
            public = bytes(a.key)
            salt = as_bytes(a.salt)
            value = item_value(a)
            self.answer_all(
                self.gets_mutable,
                (public.hex(), salt),
                event="item",
                publicKey=public.hex(),
                salt=salt.decode("utf-8", errors="replace"),
                value=value,
                seq=a.seq if value is not None else None,
            )
        elif isinstance(a, lt.dht_get_peers_reply_alert):
            state = self.lookups.get(str(a.info_hash))
            if state is not None:
                state["active"] = time.time()
                for ip, port in a.peers():
                    peer = f"{bracket(str(ip))}:{port}"
                    if peer not in state["peers"]:
                        state["peers"].append(peer)
        elif isinstance(a, lt.dht_outgoing_get_peers_alert):
            state = self.lookups.get(str(a.info_hash))
            if state is not None:
                state["active"] = time.time()
        elif isinstance(a, lt.dht_reply_alert):
            ih = str(a.handle.info_hashes().v1)
            self.answer_all(self.announces, ih, event="announced", infoHash=ih, port=self.port, peers=a.num_peers)
        elif isinstance(a, lt.dht_sample_infohashes_alert):
            host, port = a.endpoint
            self.answer_all(
                self.samples,
                f"{host}:{port}",
                event="samples",
                interval=int(a.interval.total_seconds()) if hasattr(a.interval, "total_seconds") else a.interval,
                num=a.num_infohashes,
                samples=[str(h) for h in a.samples],
                nodes=a.num_nodes,
            )
        elif isinstance(a, lt.dht_stats_alert):
            nodes = sum(bucket["num_nodes"] for bucket in a.routing_table)
            for cid in self.stats:
                self.reply(cid, event="routing_table", nodes=nodes, buckets=len(a.routing_table))
            self.stats = []
        elif a.category() & lt.alert.category_t.error_notification:
            say(event="alert", message=a.message())

    def tick(self):
        now = time.time()
        for ih, state in list(self.lookups.items()):
            quiet = now - state["active"] >= GET_PEERS_QUIET_S
            if quiet or now - state["started"] >= state["wait"]:
                del self.lookups[ih]
                for cid in state["ids"]:
                    self.reply(cid, event="peers", infoHash=ih, peers=state["peers"])


def read_stdin(lines):
    for line in sys.stdin:
        lines.put(line)
    lines.put(None)


def setting_value(text):
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        return text


def main():
    args = sys.argv[1:]
    host, port, bootstrap, overrides = "127.0.0.1", 0, [], {}
    i = 0
    while i < len(args):
        if args[i] == "--host":
            host = args[i + 1]
            if host not in ("127.0.0.1", "::1"):
                sys.exit("--host is 127.0.0.1 or ::1 (loopback only)")
        elif args[i] == "--port":
            port = int(args[i + 1])
        elif args[i] == "--bootstrap":
            node_host, node_port = args[i + 1].rsplit(":", 1)
            bootstrap.append((node_host.strip("[]"), int(node_port)))
        elif args[i] == "--set":
            # For experiments: --set dht_restrict_routing_ips=true restores a default.
            name, value = args[i + 1].split("=", 1)
            overrides[name] = setting_value(value)
        else:
            sys.exit("unknown argument " + args[i])
        i += 2

    helper = Helper(host, port, bootstrap, overrides)
    try:
        helper.wait_listening()
        say(event="ready", port=helper.port, dhtPort=helper.dht_port)
        lines = queue.Queue()
        threading.Thread(target=read_stdin, args=(lines,), daemon=True).start()
        while True:
            while not lines.empty():
                line = lines.get()
                if line is None:
                    return 0
                if not line.strip():
                    continue
                cid = None
                try:
                    msg = json.loads(line)
                    if not isinstance(msg, dict):
                        raise ValueError("a command is a JSON object")
                    cid = msg.get("id")
                    if msg.get("cmd") == "quit":
                        helper.reply(cid, event="bye")
                        return 0
                    helper.command(msg)
                except Exception as error:  # noqa: BLE001 - every failure is reported, never fatal
                    helper.reply(cid, event="error", message=f"{type(error).__name__}: {error}")
            helper.session.wait_for_alert(50)
            for alert in helper.session.pop_alerts():
                try:
                    helper.alert(alert)
                except Exception as error:  # noqa: BLE001
                    say(event="error", message=f"{type(alert).__name__}: {type(error).__name__}: {error}")
            helper.tick()
    finally:
        helper.close()


if __name__ == "__main__":
    sys.exit(main())
