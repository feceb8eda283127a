#!/usr/bin/env python3
"""Regenerate the seed corpora of tests/fuzz/corpus/ (see README.md).

Usage: mkcorpus.py [PAYLOADS_DIR]   (default: tests/fixtures/payloads in
the source tree, i.e. $WT_FIXTURES/payloads)

Writes seed-* files only; crash-* files (inputs that once crashed a
target, kept so the replay tests cover them) are left alone.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, 'corpus')

# fuzz_profiles: first byte -> entry (WT_FUZZ_LIST=1 replay_profiles x
# prints the same list).
ENTRIES = [
    ('jt808-emqx', 'device_binding'),
    ('jt808-emqx', 'position'),
    ('legacy-wb', 'weighing'),
    ('vendor-a', 'position'),
    ('vendor-a', 'vehicle_event'),
    ('vendor-a', 'manifest'),
    ('vendor-b', 'weighing'),
    ('vendor-b', 'position'),
    ('vendor-b', 'manifest'),
]

NATIVE_TOPICS = [
    'wt/v1/vehicles/KW-0217/position',
    'wt/v1/vehicles/KW-0217/events',
    'wt/v1/facilities/CC-KWP-01/weighings',
    'wt/v1/facilities/CC-KWP-01/status',
    'wt/v1/manifests/20232201000153',
]


def entry(profile, kind):
    return bytes([ENTRIES.index((profile, kind))])


def kind_of(profile, topic):
    """The kind a shipped profile gives topic (by its topic patterns)."""
    if profile == 'jt808-emqx':
        return 'position'
    if profile == 'legacy-wb':
        return 'weighing'
    if profile == 'vendor-a':
        if topic.endswith('/telemetry'):
            return 'position'
        if topic.endswith('/events'):
            return 'vehicle_event'
        return 'manifest'
    if profile == 'vendor-b':
        if '/dibang/' in topic:
            return 'weighing'
        if '/cheliang/' in topic:
            return 'position'
        return 'manifest'
    # wastetrack.tsv: the same kind, from a JSON profile
    for word, k in (('/position', 'position'), ('/events', 'vehicle_event'),
                    ('/weighings', 'weighing'), ('/status', 'position'),
                    ('/manifests/', 'manifest')):
        if word in topic:
            return k
    return 'position'


def profile_of(stem, topic):
    if stem != 'wastetrack':
        return stem
    return 'vendor-a' if kind_of(stem, topic) != 'weighing' else 'vendor-b'


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode('utf-8')
    with open(os.path.join(d, 'seed-' + name), 'wb') as f:
        f.write(data)


def checksum_line(fields, enc='utf-8'):
    """legacy-wb: XOR of every byte before field 15, two hex digits."""
    head = (';'.join(fields[:14]) + ';').encode(enc)
    x = 0
    for b in head:
        x ^= b
    return head + b'%02X' % x


def clean(target):
    d = os.path.join(CORPUS, target)
    if os.path.isdir(d):
        for n in os.listdir(d):
            if n.startswith('seed-'):
                os.unlink(os.path.join(d, n))


def main():
    payloads = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.environ.get('WT_FIXTURES', os.path.join(SRC, 'tests', 'fixtures')),
        'payloads')
    for t in ('native', 'profiles', 'config'):
        clean(t)

    # ---- every example line, in each target's format ----
    for fn in sorted(os.listdir(payloads)):
        if not fn.endswith('.tsv'):
            continue
        stem = fn[:-4]
        with open(os.path.join(payloads, fn), 'rb') as f:
            lines = [ln.rstrip(b'\n') for ln in f if ln.strip()]
        for i, ln in enumerate(lines, 1):
            topic, payload = ln.split(b'\t', 1)
            write('native', '%s-%d' % (stem, i), topic + b'\n' + payload)
            t = topic.decode('utf-8')
            p = profile_of(stem, t)
            write('profiles', '%s-%d' % (stem, i),
                  entry(p, kind_of(stem, t)) + payload)

    deep = '{"a":' * 5000 + '1' + '}' * 5000
    deep_arr = '{"lines":' + '[' * 5000 + ']' * 5000 + '}'
    pos = ('{"ts":"2023-08-07T14:02:58+08:00","lat":43.883412,'
           '"lon":125.314567,"plate":"吉A5G217","speed_kmh":32.5}')

    # ---- native edge cases ----
    P, E, W, S, M = NATIVE_TOPICS
    native = {
        'truncated': P + '\n' + pos[:40],
        'deep-nesting': P + '\n' + deep,
        'deep-array': M + '\n' + deep_arr,
        'huge-numbers': W + '\n{"ticket":"1","plate":"吉A5G217",'
            '"direction":"in","gross_kg":1.7e308,"tare_kg":-1.7e308,'
            '"first_ts":1e400,"waste":"msw.food","status":"complete",'
            '"version":123456789012345678901234567890}',
        'huge-epoch': E + '\n{"type":"load","ts":9.9e307,"waste":"x",'
            '"mass_kg":1e308,"lat":1e308,"lon":-1e308}',
        'invalid-utf8': P + '\n{"ts":"2023-08-07T14:02:58Z","lat":1,'
            '"lon":2,"plate":"\xff\xfe"}',
        'empty': P + '\n',
        'empty-all': '',
        'wrong-types': M + '\n{"scheme":1,"status":[],"version":"3",'
            '"ts":{},"lines":{"a":1},"tickets":"x","generator":[1]}',
        'bad-lines': M + '\n{"scheme":"CN_HW","status":"created",'
            '"version":1,"ts":1691370720000,"lines":[{"waste":"hw",'
            '"line":0.5,"qty":1,"unit":"furlong","waste_code":"HW08"},'
            '7,null]}',
        'status-extra': S + '\n{"ts":1691370720,"state":"open",'
            '"inventory_kg":-1,"x":{"y":[1,2,{"z":null}]},"\\u0000":1}',
        'topic-only': 'wt/v1/vehicles//position\n{}',
        'other-topic': 'wt/v1/vehicles/a/b/position\n{}',
        'crlf-records': P + '\n' + '\r\n'.join([pos] * 300),
        'bad-checksum': 'legacy/wb/ST02/out\nT;ST02;0153;20230807;140322;'
            '142105;JIA5G217;18070;13320;4750;KG;CY;X;OP07;00',
        'future': E + '\n{"type":"unload","ts":"2099-01-01T00:00:00Z",'
            '"waste":"厨余垃圾","plate":"ｊｉＡ５Ｇ２１７"}',
        'far-offsets': P + '\n{"ts":"2023-02-29T25:61:61.123456+99:99",'
            '"lat":0,"lon":0}',
    }
    for name, data in native.items():
        write('native', 'edge-' + name, data)
    # no newline: the first byte picks the topic
    write('native', 'edge-nonl-position', b'\x00' + pos.encode())
    write('native', 'edge-nonl-nul', b'\x03{"ts":1,"state":"a\x00b"}')
    write('native', 'edge-gbk', P.encode() + b'\n{"ts":1691370720,'
          b'"lat":43.8,"lon":125.3,"plate":"' + '吉A5G217'.encode('gbk')
          + b'"}')

    # ---- profiles edge cases ----
    wb = ['T', 'ST02', '0153', '20230807', '140322', '142105', 'JIA5G217',
          '18070', '13320', '4750', 'KG', 'CY', 'CHAOYANG-HWS', 'OP07']
    good = checksum_line(wb)
    jt = ('{"header":{"msg_id":512,"phone":"013912345678"},"body":{'
          '"status":%s,"latitude":43883412,"longitude":125314567,'
          '"altitude":221,"speed":325,"direction":87,"time":"230807140258"}}')
    va = ('{"type":"UNLOAD","plate":"吉A5G217","ts":"2023-08-07T06:12:40Z",'
          '"wasteCategory":"FOOD_WASTE","netWeightT":%s}')
    L = entry('legacy-wb', 'weighing')
    profiles = {
        'truncated': entry('vendor-a', 'position') + b'{"ts":"2023-08',
        'deep-nesting': entry('vendor-a', 'manifest') + deep.encode(),
        'deep-lines': entry('vendor-a', 'manifest') + deep_arr.encode(),
        'huge-status': entry('jt808-emqx', 'position')
            + (jt % '1e30').encode(),
        'negative-status': entry('jt808-emqx', 'position')
            + (jt % '-4').encode(),
        'huge-mass': entry('vendor-a', 'vehicle_event')
            + (va % '1.7e308').encode(),
        'string-mass': entry('vendor-a', 'vehicle_event')
            + (va % '"4.75吨"').encode(),
        'invalid-utf8': entry('vendor-a', 'position') + b'{"ts":"\xc3\x28"}',
        'nul-bytes': entry('vendor-b', 'weighing') + b'{"bdh":"0\x00153"}',
        'nul-delimited': L + good.replace(b'JIA', b'J\x00A'),
        'gbk': L + checksum_line(['T', 'ST02', '0153', '20230807', '140322',
                                  '142105', '吉A5G217', '18070', '13320',
                                  '4750', 'KG', 'CY', '朝阳环卫所', 'OP07'],
                                 'gbk'),
        'gbk-json': entry('vendor-b', 'position')
            + '{"车牌号":"吉A5G217","定位时间":"2023-08-07 14:02:58",'
              '"经度":"125.31","纬度":"43.88"}'.encode('gbk'),
        'empty': entry('vendor-a', 'position'),
        'empty-delimited': L + b'\r\n\r\n',
        'wrong-types': entry('vendor-a', 'manifest')
            + b'{"scheme":[],"status":{},"version":"x","updatedAt":true,'
              b'"lines":[1,{"lineNo":"a"},{"quantity":1}]}',
        'bad-checksum': L + good[:-2] + b'00',
        'checksum-at-end': L + good,
        'checksum-short': L + good[:-1],
        'crlf-300': L + b'\r\n'.join([good] * 300),
        'crlf-256': L + b'\r\n'.join([good] * 256),
        'many-fields': L + b';' * 200,
        'bcd-garbage': entry('jt808-emqx', 'position')
            + b'{"header":{"msg_id":"512"},"body":{"time":"2308071402ZZ",'
              b'"status":"x"}}',
        'binding': entry('jt808-emqx', 'device_binding')
            + '{"header":{"msg_id":256,"phone":"0139"},"body":{'
              '"license_number":"吉A5G217","color":9}}'.encode(),
    }
    for name, data in profiles.items():
        write('profiles', 'edge-' + name, data)

    # ---- config: the sample, each profile as a config, broken YAML ----
    with open(os.path.join(SRC, 'conf', 'wastetrack.yaml'), 'rb') as f:
        write('config', 'wastetrack.yaml', f.read())
    pdir = os.path.join(SRC, 'conf', 'profiles')
    for fn in sorted(os.listdir(pdir)):
        with open(os.path.join(pdir, fn), 'rb') as f:
            body = f.read()
        name = fn[:-5]
        write('config', 'profile-' + fn, (
            'subscriptions:\n  - {topic: "fuzz/%s/#", profile: %s}\n'
            % (name, name)).encode() + body)
    nest = 'profiles:\n  - name: deep\n    kinds:\n' + ''.join(
        '  ' * (i + 3) + '- k%d:\n' % i for i in range(100))
    config = {
        'tabs': 'mqtt:\n\turl: "tcp://x:1"\n\tqos: 1\n',
        'unknown-keys': 'mqtt:\n  colour: blue\nfoo: 1\nprofiles:\n'
            '  - name: p\n    kinds: [{kind: position, topic: "a/{v}",'
            ' fields: {ts: t, lat: a, lon: b, vehicle: {topic: v},'
            ' bogus: 1}}]\n',
        'aliases': 'mqtt: &m {url: "tcp://h:1"}\nhttp: *m\nprofiles:\n'
            '  - &p {name: a, kinds: [{kind: position}]}\n  - *p\n',
        'alias-bomb': 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
            'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b]\n'
            'facilities: [*c]\n',
        'deep-flow': 'profiles: ' + '[' * 5000 + ']' * 5000 + '\n',
        'deep-block': nest,
        'huge-scalar': 'mqtt:\n  client_id: "' + 'x' * 100000 + '"\n',
        'huge-number': 'mqtt:\n  keepalive_s: 99999999999999999999999\n'
            'reconcile:\n  tolerance_pct: 1e999\ningest:\n'
            '  max_payload: -1\n',
        'nul-scalar': 'profiles:\n  - name: "a\\0b"\n    kinds: []\n',
        'two-docs': 'mqtt: {qos: 1}\n---\nmqtt: {qos: 2}\n',
        'include-self': 'include: ["*", "fuzz.yaml"]\n',
        'password-missing': 'mqtt:\n  password_file: nosuch\n',
        'duplicate-keys': 'mqtt: {qos: 1, qos: 0}\nprofiles:\n  - name: a\n'
            '    name: b\n',
        'bad-profile': 'profiles:\n  - name: x\n    format: delimited\n'
            '    separator: ""\n    checksum_field: 0\n    tables: {t: [1]}\n'
            '    kinds:\n      - kind: weighing\n        topic: "a/{s}"\n'
            '        when: {field: 1}\n        fields:\n'
            '          facility: {field: 2000}\n'
            '          ticket: {field: 1, bits: [31, 0], map: nosuch}\n'
            '          first_ts: {field: 3, time: compact}\n'
            '          status: {value: open, else: {value: void, '
            'else: {path: x}}}\n',
        'empty': '',
        'not-a-map': '- 1\n- 2\n',
    }
    for name, data in config.items():
        write('config', 'broken-' + name + '.yaml', data)


if __name__ == '__main__':
    main()
