#!/usr/bin/env python3
"""Write a hostile Intel HEX file: one byte at every other address, records in
descending address order (the shape that once took 4 KiB of memory per byte
and quadratic time in the loader).

usage: gen_sparse_hex.py OUT BYTES [BASE]
  BYTES data records (one byte each) at BASE + 2*i, BASE defaults to 0x08000000.
fuzz/corpus/hex/sparse-descending.hex is `gen_sparse_hex.py F 2048`;
scripts/run-fuzz.sh adds a 1 MiB one (`... 65536`) to the fuzzer's corpus.
"""
import sys


def record(data_len, addr, rtype, data):
    b = [data_len, addr >> 8 & 0xFF, addr & 0xFF, rtype] + data
    return ':' + ''.join('%02X' % x for x in b) + '%02X' % (-sum(b) & 0xFF)


def main():
    out, count = sys.argv[1], int(sys.argv[2])
    base = int(sys.argv[3], 0) if len(sys.argv) > 3 else 0x08000000
    lines, page = [], None
    for i in reversed(range(count)):
        a = base + 2 * i
        if a >> 16 != page:
            page = a >> 16
            lines.append(record(2, 0, 4, [page >> 8, page & 0xFF]))
        lines.append(record(1, a & 0xFFFF, 0, [i * 7 & 0xFF]))
    lines.append(':00000001FF')
    with open(out, 'w') as f:
        f.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
