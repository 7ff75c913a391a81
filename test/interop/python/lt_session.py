#!/usr/bin/python3
"""A libtorrent session for plexus interop tests, on 127.0.0.1 only.

  lt_session.py <torrent|magnet> <save_path> [--peer host:port]... [--timeout seconds]
                [--setting name=value]... [--log-hash-messages] [--log-connections]

--setting overrides one settings_pack entry (an integer, true/false, or a string), e.g.
--setting out_enc_policy=0 for forced encryption.

Prints JSON lines: {"type": "listening", "port": N} once, {"type": "progress", ...} every
second, {"type": "complete"} when every piece is verified; with --log-hash-messages,
{"type": "hash_message", "message": ...} for each BEP 52 hash request, hashes or hash reject
sent (==>) or received (<==), from libtorrent's peer log; with --log-connections,
{"type": "peer_log", "message": ...} for connection attempts, ut_holepunch messages, duplicate
resolution and disconnects (what a BEP 55 punch did on libtorrent's side). Exits 0 once complete when
--exit-on-complete is given, otherwise seeds until stdin closes or the timeout passes
(exit 1 if the download never completed). DHT, LSD, UPnP and NAT-PMP are off: the only
traffic is to the peers named here (and to a tracker, when the torrent has a loopback one).
"""
import json
import sys
import time

import libtorrent as lt


# Peer-log lines worth printing with --log-connections (libtorrent 2.0's log tags).
CONNECTION_WORDS = ("HOLEPUNCH", "holepunch", "CONNECT", "DUPLICATE", "duplicate", "ON_CONNECT",
                    "CONNECTION FAILED", "INCOMING", "OUTGOING", "PEER_ERROR", "close")


def say(**fields):
    sys.stdout.write(json.dumps(fields) + "\n")
    sys.stdout.flush()


def setting_value(text):
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        return text


def main():
    args = sys.argv[1:]
    torrent, save_path = args[0], args[1]
    peers, timeout, exit_on_complete, overrides, log_hashes = [], 120.0, False, {}, False
    log_connections = False
    i = 2
    while i < len(args):
        if args[i] == "--peer":
            host, port = args[i + 1].rsplit(":", 1)
            peers.append((host, int(port)))
            i += 2
        elif args[i] == "--timeout":
            timeout = float(args[i + 1])
            i += 2
        elif args[i] == "--log-hash-messages":
            log_hashes = True
            i += 1
        elif args[i] == "--log-connections":
            log_connections = True
            i += 1
        elif args[i] == "--exit-on-complete":
            exit_on_complete = True
            i += 1
        elif args[i] == "--setting":
            name, value = args[i + 1].split("=", 1)
            overrides[name] = setting_value(value)
            i += 2
        else:
            sys.exit("unknown argument " + args[i])

    settings = {
        "listen_interfaces": "127.0.0.1:0",
        "enable_dht": False,
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        "enable_incoming_utp": False,
        "enable_outgoing_utp": False,
        "allow_multiple_connections_per_ip": True,
        "alert_mask": lt.alert.category_t.error_notification | lt.alert.category_t.status_notification,
        "user_agent": "libtorrent-interop",
    }
    if log_hashes or log_connections:
        settings["alert_mask"] |= lt.alert.category_t.peer_log_notification
    if log_connections:
        settings["alert_mask"] |= lt.alert.category_t.connect_notification
    settings.update(overrides)
    session = lt.session(settings)
    if torrent.startswith("magnet:"):
        # BEP 9: libtorrent fetches the info dictionary from the peers named here.
        params = lt.parse_magnet_uri(torrent)
    else:
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
    while time.time() < deadline:
        # Alerts first, so that what led to completion is printed before "complete".
        for alert in session.pop_alerts():
            if alert.category() & lt.alert.category_t.error_notification:
                say(type="alert", message=alert.message())
            elif log_hashes and alert.what() == "peer_log":
                message = alert.message()
                arrow = max(message.rfind("==> "), message.rfind("<== "))
                if arrow >= 0 and message[arrow + 4:].startswith(("HASH_REQUEST", "HASHES", "HASH_REJECT")):
                    say(type="hash_message", message=message[arrow:])
            if log_connections and alert.what() in ("peer_log", "peer_connect", "peer_disconnected"):
                message = alert.message()
                if alert.what() != "peer_log" or any(word in message for word in CONNECTION_WORDS):
                    say(type="peer_log", message=message)
        status = handle.status()
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
            # Peers named on the command line are re-dialled while we still need data.
            if not status.is_seeding and status.num_peers == 0:
                for host, port in peers:
                    handle.connect_peer((host, port))
        time.sleep(0.1)
    return 0 if announced_complete else 1


if __name__ == "__main__":
    sys.exit(main())
