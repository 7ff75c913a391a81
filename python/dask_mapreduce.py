#!/usr/bin/python3
"""Runs a Hadoop Streaming job on a Dask distributed cluster, for `plexus mr run --engine dask`.

The job arrives as JSON on stdin (scheduler, mapper, reducer, optional combiner, reduces, splits,
output). Every rule that decides output bytes is the one plexus's own engine follows, so that both
engines write the same files byte for byte:

- a split owns the lines whose first byte lies in its range (Hadoop's LineRecordReader), each
  line fed to the mapper without its newline and a CR before it, then a newline;
- map output lines split at the first TAB (no TAB: the line is the key, the value is empty);
- partition = (Text.hashCode(key) & 0x7fffffff) % reduces, Text.hashCode = 31 * h + signed byte;
- each partition sorted by key bytes, then value bytes; the combiner runs per sorted partition;
- reducer output lines are written back as key TAB value; part-NNNNN per reduce and _SUCCESS
  last, each written to a temporary name and renamed.

Map tasks return their partitions as Dask futures; each reduce task takes partition r of every
map future, so the shuffle goes between the Dask workers.
"""
import json
import os
import subprocess
import sys
import time


def read_split(path, start, length):
    end = start + length
    with open(path, 'rb') as handle:
        begin = start - 1 if start > 0 else 0
        handle.seek(begin)
        data = handle.read(end - begin)
        # Read on to the end of the last owned line.
        while not data.endswith(b'\n'):
            more = handle.read(65536)
            if not more:
                break
            data += more
            if b'\n' in more:
                break
    position = start - begin
    if start > 0 and data[position - 1:position] != b'\n':
        newline = data.find(b'\n', position)
        if newline < 0:
            return b''
        position = newline + 1
    lines = []
    while position + begin < end and position < len(data):
        newline = data.find(b'\n', position)
        if newline < 0:
            newline = len(data)
        line = data[position:newline]
        if line.endswith(b'\r'):
            line = line[:-1]
        lines.append(line + b'\n')
        position = newline + 1
    return b''.join(lines)


def run_command(role, command, data):
    result = subprocess.run(['/bin/sh', '-c', command], input=data, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    if result.returncode != 0:
        raise RuntimeError('%s `%s` exited with code %d: %s' % (
            role, command, result.returncode, result.stderr.decode('utf-8', 'replace')[-500:]))
    result.stdout.decode('utf-8')  # malformed output fails the task, as in plexus
    return result.stdout


def parse_records(data):
    if not data:
        return []
    lines = data.split(b'\n')
    if data.endswith(b'\n'):
        lines.pop()
    records = []
    for line in lines:
        tab = line.find(b'\t')
        records.append((line, b'') if tab < 0 else (line[:tab], line[tab + 1:]))
    return records


def format_records(records):
    return b''.join(key + b'\t' + value + b'\n' for key, value in records)


def text_hash(key):
    h = 1
    for byte in key:
        signed = byte - 256 if byte > 127 else byte
        h = (31 * h + signed) & 0xffffffff
    return h


def partition_of(key, reduces):
    return (text_hash(key) & 0x7fffffff) % reduces


def map_task(split, mapper, combiner, reduces):
    records = parse_records(run_command('mapper', mapper, read_split(split['path'], split['start'],
                                                                     split['length'])))
    buckets = [[] for _ in range(reduces)]
    for record in records:
        buckets[partition_of(record[0], reduces)].append(record)
    partitions = []
    for bucket in buckets:
        bucket.sort()
        if combiner is not None and bucket:
            bucket = sorted(parse_records(run_command('combiner', combiner, format_records(bucket))))
        partitions.append(format_records(bucket))
    return partitions


def reduce_task(index, reducer, output, *map_outputs):
    records = []
    for partitions in map_outputs:
        records.extend(parse_records(partitions[index]))
    records.sort()
    result = format_records(parse_records(run_command('reducer', reducer, format_records(records))))
    name = 'part-%05d' % index
    temporary = os.path.join(output, '_temporary', 'dask-' + name)
    with open(temporary, 'wb') as handle:
        handle.write(result)
        handle.flush()
        os.fsync(handle.fileno())
    return temporary, name


def main():
    from dask.distributed import Client
    job = json.load(sys.stdin)
    started = time.time()
    output = job['output']
    os.makedirs(os.path.join(output, '_temporary'), exist_ok=True)
    client = Client(job['scheduler'])
    try:
        reduces = job['reduces']
        combiner = job.get('combiner')
        maps = [client.submit(map_task, split, job['mapper'], combiner, reduces, pure=False)
                for split in job['splits']]
        reduced = [client.submit(reduce_task, index, job['reducer'], output, *maps, pure=False)
                   for index in range(reduces)]
        committed = client.gather(reduced)
    finally:
        client.close()
    for temporary, name in committed:
        os.rename(temporary, os.path.join(output, name))
    marker = os.path.join(output, '_temporary', '_SUCCESS.tmp')
    with open(marker, 'wb') as handle:
        os.fsync(handle.fileno())
    os.rename(marker, os.path.join(output, '_SUCCESS'))
    os.rmdir(os.path.join(output, '_temporary'))
    json.dump({'maps': len(job['splits']), 'reduces': reduces, 'seconds': time.time() - started},
              sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main()
