#!/usr/bin/env python3
"""Derive the learned classifier's word-embedding table from the wordllama 0.4 wheel.

    pip download wordllama==0.4.0.post1 --no-deps -d /tmp/wl
    python3 scripts/embeddings/make-wordllama.py /tmp/wl/wordllama-0.4.0.post1-*.whl \
        crates/learn/model/wordllama-l2-64.bin

Standard library only (no numpy); deterministic: the same wheel gives a byte-identical file.

Source: wordllama (MIT, see crates/learn/model/WORDLLAMA-LICENSE), `weights/l2_supercat_256.safetensors`:
32,000 × 256 float16 token embeddings over the LLaMA-2 tokenizer's vocabulary. wordllama is
Matryoshka-trained (64 … 1024 dims), so its first DIMS columns are a valid smaller model; each
row is quantised to int8 with its own scale (max |x| / 127).

Output (all little endian):
    b"AGSTEMB\\0" · u32 format version (1) · u32 vocabulary size · u32 dims
    then per token, in id order: u8 byte length · token bytes (UTF-8, '▁' marks a space)
    then per token: f32 scale
    then per token: DIMS × i8
    then u32 number of BPE merges · per merge, in rank order: u16 left id · u16 right id
"""
import json
import struct
import sys
import zipfile

DIMS = 64
WEIGHTS = "wordllama/weights/l2_supercat_256.safetensors"
TOKENIZER = "wordllama/tokenizers/l2_supercat_tokenizer_config.json"


def main(wheel: str, out: str) -> None:
    z = zipfile.ZipFile(wheel)
    raw = z.read(WEIGHTS)
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + n])
    meta = header["embedding.weight"]
    assert meta["dtype"] == "F16", meta
    rows, cols = meta["shape"]
    start = 8 + n + meta["data_offsets"][0]
    model = json.loads(z.read(TOKENIZER))["model"]
    vocab = model["vocab"]
    merges = bytearray(struct.pack("<I", len(model["merges"])))
    for m in model["merges"]:
        left, right = m.split(" ") if isinstance(m, str) else m
        assert left + right in vocab, m
        merges += struct.pack("<HH", vocab[left], vocab[right])
    by_id = sorted((i, t) for t, i in vocab.items())
    assert [i for i, _ in by_id] == list(range(rows)), "vocabulary ids are not 0..n"

    names = bytearray()
    scales = bytearray()
    values = bytearray()
    row_fmt = "<%de" % cols
    for i, tok in by_id:
        b = tok.encode("utf-8")
        assert len(b) < 256, tok
        names += struct.pack("<B", len(b)) + b
        row = struct.unpack_from(row_fmt, raw, start + i * cols * 2)[:DIMS]
        m = max(abs(x) for x in row)
        scale = m / 127.0 if m > 0 else 1.0
        scale = struct.unpack("<f", struct.pack("<f", scale))[0]  # as stored
        scales += struct.pack("<f", scale)
        values += struct.pack("<%db" % DIMS, *(max(-127, min(127, round(x / scale))) for x in row))

    with open(out, "wb") as f:
        f.write(b"AGSTEMB\0" + struct.pack("<III", 1, rows, DIMS))
        f.write(names)
        f.write(scales)
        f.write(values)
        f.write(merges)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: make-wordllama.py WHEEL OUT")
    main(sys.argv[1], sys.argv[2])
