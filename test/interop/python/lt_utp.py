#!/usr/bin/python3
"""A libtorrent session that speaks uTP only, on 127.0.0.1, for plexus's uTP interop tests.

  lt_utp.py <torrent> <save_path> [--peer host:port]... [--timeout seconds] [--exit-on-complete]

Like lt_session.py, with enable_outgoing_tcp = enable_incoming_tcp = False and uTP on.
Prints JSON lines: {"type": "listening", "port": N}, {"type": "peer", "utp": bool} for every
connected peer it sees, {"type": "progress", ...} each second, {"type": "complete"}.
"""
import json
import sys
import time

import libtorrent as lt


# peer_info::utp_socket (bit 17 in libtorrent 2.0); the Python binding does not name it.
UTP_SOCKET = getattr(lt.peer_info, "utp_socket", 1 << 17)


def say(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def main():
    args = sys.argv[1:]
    torrent, save_path = args[0], args[1]
    peers, timeout, exit_on_complete = [], 120.0, False
    i = 2
    while i < len(args):
        if args[i] == "--peer":
            host, port = args[i + 1].rsplit(":", 1)
            peers.append((host, int(port)))
            i += 2
        elif args[i] == "--timeout":
            timeout = float(args[i + 1])
            i += 2
        elif args[i] == "--exit-on-complete":
            exit_on_complete = True
            i += 1
        else:
            sys.exit("unknown argument " + args[i])

    settings = {
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_utp": True,
        "enable_outgoing_utp": True,
        "enable_incoming_tcp": False,
        "enable_outgoing_tcp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
        "user_agent": "libtorrent-interop",
    }
    session = lt.session(settings)
    params = lt.add_torrent_params()
    params.ti = lt.torrent_info(torrent)
    params.save_path = save_path
    handle = session.add_torrent(params)
    deadline = time.time() + timeout
    while session.listen_port() == 0 and time.time() < deadline:
        time.sleep(0.05)
    say(type="listening", port=session.listen_port())
    for host, port in peers:
        handle.connect_peer((host, port))

    announced_complete = False
    last_report = 0.0
    seen = set()
    while time.time() < deadline:
        status = handle.status()
        for peer in handle.get_peer_info():
            key = peer.ip
            if key not in seen:
                seen.add(key)
                say(type="peer", utp=bool(int(peer.flags) & UTP_SOCKET), client=peer.client.decode("utf-8", "replace") if isinstance(peer.client, bytes) else str(peer.client))
        if status.is_seeding and not announced_complete:
            announced_complete = True
            say(type="complete", total_download=status.total_payload_download)
            if exit_on_complete:
                return 0
        if time.time() - last_report >= 1.0:
            last_report = time.time()
            say(type="progress", progress=status.progress, peers=status.num_peers,
                state=str(status.state), download_rate=status.download_rate,
                upload_rate=status.upload_rate, total_upload=status.total_payload_upload)
            if not status.is_seeding and status.num_peers == 0:
                for host, port in peers:
                    handle.connect_peer((host, port))
        for alert in session.pop_alerts():
            if alert.category() & lt.alert.category_t.error_notification:
                say(type="alert", message=alert.message())
        time.sleep(0.1)
    return 0 if announced_complete else 1


if __name__ == "__main__":
    sys.exit(main())
