#!/usr/bin/python3
"""Regenerates the BEP 52 test vectors pinned in
src/protocols/bittorrent/metainfo/v2-vectors.test.ts: libtorrent's own torrents for a small
deterministic tree, in each mode, with the creation date left out.

  lt_v2_vectors.py <workdir>   -> prints one JSON object: {mode: base64 torrent}

Content: xorshift32 bytes seeded by the file length (see `patternBytes`).
"""
import base64
import json
import os
import sys

import libtorrent as lt

FILES = {"a.bin": 40000, "empty": 0, "sub/b.txt": 100, "sub/c.bin": 70000}
SINGLE = ("one.bin", 40000)


def pattern(n):
    """xorshift32 seeded with n + 1, one byte (the low one) per step."""
    x = n + 1
    out = bytearray(n)
    for i in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out[i] = x & 0xFF
    return bytes(out)


def make(root, path, flags, piece_length=16384):
    fs = lt.file_storage()
    lt.add_files(fs, path)
    t = lt.create_torrent(fs, piece_length, flags=flags)
    lt.set_piece_hashes(t, root)
    entry = t.generate()
    entry.pop(b"creation date", None)
    entry.pop("creation date", None)
    return base64.b64encode(lt.bencode(entry)).decode()


def main(work):
    tree = os.path.join(work, "tree")
    for rel, size in FILES.items():
        os.makedirs(os.path.dirname(os.path.join(tree, rel)), exist_ok=True)
        with open(os.path.join(tree, rel), "wb") as f:
            f.write(pattern(size))
    with open(os.path.join(work, SINGLE[0]), "wb") as f:
        f.write(pattern(SINGLE[1]))
    out = {
        "hybrid": make(work, tree, 0),
        "v2": make(work, tree, lt.create_torrent.v2_only),
        "v1": make(work, tree, lt.create_torrent.v1_only),
        "singleHybrid": make(work, os.path.join(work, SINGLE[0]), 0),
        "singleV2": make(work, os.path.join(work, SINGLE[0]), lt.create_torrent.v2_only),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1])
