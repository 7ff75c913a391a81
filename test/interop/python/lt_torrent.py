#!/usr/bin/python3
"""libtorrent helper for plexus interop tests.

  lt_torrent.py create <path> <out.torrent> <piece_length>  -> prints the info-hash
  lt_torrent.py create-v2 <path> <out.torrent> <piece_length> -> v2 only (BEP 52), prints
                                                                 the v2 info-hash
  lt_torrent.py info <file.torrent>                          -> prints the info-hash
  lt_torrent.py info2 <file.torrent>                         -> prints "<v1> <v2>" (BEP 52)
"""
import os
import sys

import libtorrent as lt


def create(path, out, piece_length, flags=lt.create_torrent.v1_only):
    fs = lt.file_storage()
    lt.add_files(fs, path)
    t = lt.create_torrent(fs, int(piece_length), flags=flags)
    lt.set_piece_hashes(t, os.path.dirname(os.path.abspath(path)))
    data = lt.bencode(t.generate())
    with open(out, "wb") as f:
        f.write(data)
    hashes = lt.torrent_info(out).info_hashes()
    print(str(hashes.v1 if hashes.has_v1() else hashes.v2))


def info(path):
    print(str(lt.torrent_info(path).info_hashes().v1))


def info2(path):
    hashes = lt.torrent_info(path).info_hashes()
    v1 = str(hashes.v1) if hashes.has_v1() else "-"
    v2 = str(hashes.v2) if hashes.has_v2() else "-"
    print(v1 + " " + v2)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "create":
        create(sys.argv[2], sys.argv[3], sys.argv[4])
    elif command == "create-v2":
        create(sys.argv[2], sys.argv[3], sys.argv[4], lt.create_torrent.v2_only)
    elif command == "info":
        info(sys.argv[2])
    elif command == "info2":
        info2(sys.argv[2])
    else:
        sys.exit("unknown command " + command)
