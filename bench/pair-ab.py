#!/usr/bin/env python3
"""One plexus seed -> one plexus get over TCP on 127.0.0.1; CPU (user+sys, all threads) per GiB.
usage: pair.py ROOT [--mib N] [--wrap-seed 'cmd'] [--wrap-leech 'cmd'] [--node-args '...']"""
import json, os, subprocess, sys, time, argparse, shutil, tempfile
ap = argparse.ArgumentParser()
ap.add_argument('root')
ap.add_argument('--mib', type=int, default=256)
ap.add_argument('--work', default='/tmp/plexus-pair-ab')
ap.add_argument('--seed-node', default='')
ap.add_argument('--leech-node', default='')
ap.add_argument('--seed-wrap', default='')
ap.add_argument('--leech-wrap', default='')
ap.add_argument('--perf', default='', help='leech|seed: perf record -p for 5 s after 3 s')
ap.add_argument('--strace', default='', help='leech|seed: strace -c -f -p until done')
a = ap.parse_args()
main = os.path.join(a.root, 'dist/src/cli/main.js')
os.makedirs(a.work, exist_ok=True)
data = os.path.join(a.work, 'data'); os.makedirs(data, exist_ok=True)
f = os.path.join(data, 'pair.bin')
if not os.path.exists(f) or os.path.getsize(f) != a.mib * 2**20:
    with open(f, 'wb') as out:
        for _ in range(a.mib // 16): out.write(os.urandom(16 * 2**20))
tor = os.path.join(a.work, f'pair-{a.mib}.torrent')
env = dict(os.environ, PLEXUS_TEST='1')
if not os.path.exists(tor):
    subprocess.run(['node', main, 'create', f, '-o', tor, '--no-date', '--json'], check=True, env=env, stdout=subprocess.DEVNULL)
def cpu(pid):
    s = open(f'/proc/{pid}/stat').read(); fl = s[s.rindex(')')+2:].split()
    return (int(fl[11]) + int(fl[12])) / 100
def spawn(wrap, nodeargs, args, st):
    e = dict(env, PLEXUS_STATE_DIR=st)
    cmd = (wrap.split() if wrap else []) + ['node'] + (nodeargs.split() if nodeargs else []) + [main] + args
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=e, text=True)
def wait(p, typ):
    for line in p.stdout:
        try: ev = json.loads(line)
        except Exception: continue
        if ev.get('type') == typ: return ev
    raise SystemExit(f'no {typ}')
def pid_of(p):
    # with a wrapper (strace/perf), find the node child
    if p.args[0] == 'node': return p.pid
    out = subprocess.run(['pgrep', '-P', str(p.pid)], capture_output=True, text=True).stdout.split()
    return int(out[0]) if out else p.pid
s1 = tempfile.mkdtemp(prefix='datapath-st-'); s2 = tempfile.mkdtemp(prefix='datapath-st-')
outdir = os.path.join(a.work, 'out'); shutil.rmtree(outdir, ignore_errors=True)
seed = spawn(a.seed_wrap, a.seed_node, ['seed', tor, '--data', data, '--bind', '127.0.0.1', '--port', '0', '--transport', 'tcp', '--no-trackers', '--json'], s1)
ready = wait(seed, 'ready'); port = ready['listen'].split(':')[-1]
sp = pid_of(seed); c0 = cpu(sp); t0 = time.time()
leech = spawn(a.leech_wrap, a.leech_node, ['get', tor, '-o', outdir, '--bind', '127.0.0.1', '--port', '0', '--transport', 'tcp', '--no-trackers', '--peer', f'127.0.0.1:{port}', '--seed-after', '--json'], s2)
time.sleep(0.05); lp = pid_of(leech)
aux = None
if a.perf:
    target = lp if a.perf == 'leech' else sp
    aux = subprocess.Popen(f'sleep 3; perf record -F 1999 -g -p {target} -o /tmp/plexus-pair-ab-perf-{a.perf}.data -- sleep 5', shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if a.strace:
    target = lp if a.strace == 'leech' else sp
    aux = subprocess.Popen(['strace', '-c', '-f', '-p', str(target), '-o', f'/tmp/plexus-pair-ab-strace-{a.strace}.txt'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wait(leech, 'download_completed'); t = time.time() - t0
if a.strace and aux: aux.send_signal(2); aux.wait()
if a.perf and aux: aux.wait()
lc = cpu(lp); sc = cpu(sp) - c0
gib = a.mib / 1024
for p in (leech, seed): p.send_signal(2)
for p in (leech, seed):
    try: p.wait(timeout=20)
    except subprocess.TimeoutExpired: p.kill()
shutil.rmtree(outdir, ignore_errors=True); shutil.rmtree(s1, ignore_errors=True); shutil.rmtree(s2, ignore_errors=True)
print(json.dumps({'mib': a.mib, 'seconds': round(t, 2), 'MBps': round(a.mib*2**20/1e6/t, 1), 'pairCpuPerGiB': round((lc+sc)/gib, 2), 'seedCpuPerGiB': round(sc/gib, 2), 'leechCpuPerGiB': round(lc/gib, 2), 'load': os.getloadavg()[0]}))
