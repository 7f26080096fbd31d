#!/usr/bin/env python3
# Splits a JFR recording of the indexer (or any child JVM) by thread over a time window: socket reads and writes
# (waits for PostgreSQL or Kafka), parks, execution samples, GC pauses. Record with bench/profile/jfr-fine.jfc:
#   LAYERATLAS_BENCH_CHILD_JAVA_OPTS="-XX:StartFlightRecording=filename=/tmp/jfr/,settings=bench/profile/jfr-fine.jfc"
# then: python3 bench/profile/jfr_split.py <file.jfr> HH:MM:SS HH:MM:SS   (UTC, the phase times of the bench log)
import json, sys, subprocess, collections, datetime
f, start, end = sys.argv[1], sys.argv[2], sys.argv[3]
def t(s):  # "2026-12-04T00:33:45.123456Z"-like or with offset
    return datetime.datetime.fromisoformat(s.replace('Z', '+00:00'))
events = ['jdk.SocketRead','jdk.ThreadPark','jdk.ExecutionSample','jdk.GCPhasePause','jdk.ThreadCPULoad','jdk.SocketWrite']
out = subprocess.run(['jfr','print','--json','--events',','.join(events), f], capture_output=True, text=True).stdout
data = json.loads(out)['recording']['events']
def dur(e):
    d = e['values'].get('duration')
    if d is None: return 0
    # ISO-8601 duration like "PT0.012345S"
    d = d.replace('PT','')
    secs = 0.0
    num = ''
    for ch in d:
        if ch in 'HMS':
            v = float(num); num=''
            secs += v*3600 if ch=='H' else v*60 if ch=='M' else v
        else: num += ch
    return secs
first = t(data[0]['values']['startTime'])
d0 = first.date().isoformat()
S = t(d0+'T'+start+'+00:00'); E = t(d0+'T'+end+'+00:00')
sock = collections.Counter(); park = collections.Counter(); samples = collections.Counter(); top = collections.defaultdict(collections.Counter)
gc = 0.0; cpu = collections.defaultdict(list); wr = collections.Counter()
for e in data:
    v = e['values']; st = t(v['startTime'])
    if st < S or st > E: continue
    th = (v.get('eventThread') or v.get('sampledThread') or {}).get('javaName')
    ty = e['type']
    if ty == 'jdk.SocketRead': sock[th] += dur(e)
    elif ty == 'jdk.SocketWrite': wr[th] += dur(e)
    elif ty == 'jdk.ThreadPark': park[th] += dur(e)
    elif ty == 'jdk.GCPhasePause': gc += dur(e)
    elif ty == 'jdk.ExecutionSample':
        samples[th] += 1
        fr = v['stackTrace']['frames']
        name = None
        for fr_ in fr:
            m = fr_['method']; cn = m['type']['name']
            if cn.startswith('io.layeratlas') or cn.startswith('io/layeratlas'):
                name = cn.split('.')[-1].split('/')[-1] + '.' + m['name']; break
        top[th][name or (fr[0]['method']['type']['name'].split('.')[-1].split('/')[-1]+'.'+fr[0]['method']['name'] if fr else '?')] += 1
    elif ty == 'jdk.ThreadCPULoad':
        cpu[th].append(v['user']+v['system'])
print('window', S, E, (E-S).total_seconds(), 's; GC pauses %.1f s' % gc)
for th in sorted(set(sock)|set(park)|set(samples), key=lambda x: -(sock[x]+park[x]+samples[x]*0.01)):
    c = cpu.get(th, [])
    print('%-45s sockread %7.1f s  sockwrite %6.1f  park %7.1f s  samples %6d (~%5.1f s at 10ms)  cpu avg %.2f' % (str(th)[:45], sock[th], wr[th], park[th], samples[th], samples[th]*0.01, (sum(c)/len(c)) if c else -1))
for th, _ in samples.most_common(3):
    print('top frames (first own frame) of', th)
    for k, n in top[th].most_common(15): print('   %6d %s' % (n, k))
