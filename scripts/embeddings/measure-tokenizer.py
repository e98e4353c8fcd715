#!/usr/bin/env python3
"""How far agentstat's embedding (`crates/learn/src/embed.rs`: its BPE over the table's merges,
int8 rows) is from wordllama's own (the `tokenizers` library, float16 weights), on a generic
text sample: the repository's docs. Also the greedy longest match, for comparison.

    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install tokenizers
    /tmp/venv/bin/python scripts/embeddings/measure-tokenizer.py WHEEL crates/learn/model/wordllama-l2-64.bin docs/*.md

Texts are normalised as the features normalise prompts (lowercase words of letters, digits and
apostrophes, single spaces), one text per paragraph. Prints: share of texts tokenised exactly
like BPE, tokens per text (greedy / BPE), and the cosine between the two mean embeddings
(mean and 5th percentile).
"""
import json
import math
import re
import struct
import sys
import zipfile

from tokenizers import Tokenizer

DIMS = 64


def load_table(path):
    b = open(path, "rb").read()
    assert b[:8] == b"AGSTEMB\0"
    _, n, dims = struct.unpack_from("<III", b, 8)
    o = 20
    toks = []
    for _ in range(n):
        l = b[o]
        toks.append(b[o + 1 : o + 1 + l])
        o += 1 + l
    scales = struct.unpack_from("<%df" % n, b, o)
    o += 4 * n
    rows = [
        [v * scales[i] for v in struct.unpack_from("<%db" % dims, b, o + i * dims)] for i in range(n)
    ]
    ids = {}
    for i, t in enumerate(toks):
        if i >= 259 and t not in ids:
            ids[t] = i
    o += n * dims
    (nm,) = struct.unpack_from("<I", b, o)
    merges = {}
    for r in range(nm):
        l, rr = struct.unpack_from("<HH", b, o + 4 + 4 * r)
        merges.setdefault((l, rr), (r, ids[toks[l] + toks[rr]]))
    return ids, max(len(t) for t in ids), rows, merges


def bpe(ids, merges, max_len, text):
    s = "▁" + text.replace(" ", "▁")
    out = []
    for w in re.findall("▁[^▁]*", s):
        if len(w) > 64:
            out += greedy(ids, max_len, w[1:])
            continue
        syms = []
        for c in w:
            cb = c.encode()
            syms += [ids[cb]] if cb in ids else [3 + x for x in cb]
        while True:
            cands = [(merges[p][0], i, merges[p][1]) for i, p in enumerate(zip(syms, syms[1:])) if p in merges]
            if not cands:
                break
            _, i, m = min(cands)
            syms[i : i + 2] = [m]
        out += syms
    return out


def greedy(ids, max_len, text):
    b = ("▁" + text.replace(" ", "▁")).encode()
    out, i = [], 0
    while i < len(b):
        for l in range(min(max_len, len(b) - i), 0, -1):
            t = ids.get(b[i : i + l])
            if t is not None:
                out.append(t)
                i += l
                break
        else:
            out.append(3 + b[i])
            i += 1
    return out


def mean(rows, toks):
    acc = [0.0] * DIMS
    for t in toks:
        for j, v in enumerate(rows[t][:DIMS]):
            acc[j] += v
    n = math.sqrt(sum(x * x for x in acc)) or 1.0
    return [x / n for x in acc]


def main(wheel, table, docs):
    z = zipfile.ZipFile(wheel)
    tok = Tokenizer.from_str(z.read("wordllama/tokenizers/l2_supercat_tokenizer_config.json").decode())
    raw = z.read("wordllama/weights/l2_supercat_256.safetensors")
    n = struct.unpack("<Q", raw[:8])[0]
    meta = json.loads(raw[8 : 8 + n])["embedding.weight"]
    rows_n, cols = meta["shape"]
    start = 8 + n
    f16 = [struct.unpack_from("<%de" % DIMS, raw, start + i * cols * 2) for i in range(rows_n)]
    ids, max_len, q, merges = load_table(table)
    texts = []
    for d in docs:
        for para in open(d, encoding="utf-8").read().split("\n\n"):
            words = re.findall(r"[\w']+", para.lower())
            words = [w.replace("_", " ").strip() for w in words]
            t = " ".join(w for w in words if w)
            if len(t.split()) >= 5:
                texts.append(t)
    same = 0
    same_greedy = 0
    ng = nb = 0
    cos = []
    cos_tok = []
    cos_q = []
    for t in texts:
        bpe_ids = tok.encode(t, add_special_tokens=False).ids
        same_greedy += greedy(ids, max_len, t) == bpe_ids
        g = bpe(ids, merges, max_len, t)
        bpe_ids, ref = g, bpe_ids
        same += g == ref
        bpe_ids = ref
        ng += len(g)
        nb += len(bpe_ids)
        a, b = mean(q, g), mean(f16, bpe_ids)
        cos.append(sum(x * y for x, y in zip(a, b)))
        c = mean(f16, g)
        cos_tok.append(sum(x * y for x, y in zip(c, b)))
        cos_q.append(sum(x * y for x, y in zip(a, c)))
    cos.sort()
    cos_tok.sort()
    cos_q.sort()
    print(f"greedy longest match: tokenised exactly like the library {same_greedy / len(texts):.1%}")
    for name, c in (("tokens only (ours vs library, both f16)", cos_tok), ("int8 only (our tokens)", cos_q)):
        print(f"{name}: mean {sum(c) / len(c):.4f}, 5th percentile {c[len(c) // 20]:.4f}")
    print(f"texts {len(texts)}; tokenised exactly like the library {same / len(texts):.1%}; "
          f"tokens ours/library {ng / nb:.3f}; cosine of mean embeddings (ours+int8 vs library+f16): "
          f"mean {sum(cos) / len(cos):.4f}, 5th percentile {cos[len(cos) // 20]:.4f}, min {cos[0]:.4f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
