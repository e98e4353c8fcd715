"""Sharded extraction on Apache Spark (local mode), checked against the single-process run.

    python scripts/spark/shards.py AGENTSTAT_BIN OUT_DIR N PATH...

One Spark task per shard runs `agentstat extract PATH... --shard K/N`; the N shard files are
then (1) pooled by `agentstat merge` and (2) read directly by Spark as one Parquet dataset.
Both must equal the single-process `agentstat extract PATH...`: the merged file byte for byte,
and Spark's dataset row for row (and the sessions' keys unique). Used by `.ci/run`; the recipe
is in docs/SCALE.md. Every agentstat process gets the same AGENTSTAT_SALT from the caller's
environment (shards with different salts are refused by merge).
"""

import json
import os
import subprocess
import sys
import time


def extract(binary, paths, out, shard=None):
    cmd = [binary, "extract", *paths, "-o", out, "--json", "--no-cache"]
    if shard is not None:
        cmd += ["--shard", shard]
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stderr}")
    return json.loads(p.stdout)


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    binary, out_dir, n, paths = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
    binary = os.path.abspath(binary)
    paths = [os.path.abspath(p) for p in paths]
    shard_dir = os.path.join(out_dir, "shards")
    os.makedirs(shard_dir, exist_ok=True)
    for f in os.listdir(shard_dir):
        os.remove(os.path.join(shard_dir, f))
    if "AGENTSTAT_SALT" not in os.environ:
        sys.exit("set AGENTSTAT_SALT: every shard must use the same salt")

    t = time.time()
    whole_path = os.path.join(out_dir, "whole.parquet")
    whole = extract(binary, paths, whole_path)
    t_single = time.time() - t

    from pyspark.sql import SparkSession

    t = time.time()
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("agentstat-shards")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    t_start = time.time() - t

    def run_shard(k):
        out = os.path.join(shard_dir, f"part-{k:05d}.parquet")
        r = extract(binary, paths, out, f"{k}/{n}")
        return (k, r["sessions"], r["shard"])

    t = time.time()
    done = spark.sparkContext.parallelize(range(n), n).map(run_shard).collect()
    t_tasks = time.time() - t
    assert sorted(k for k, _, _ in done) == list(range(n)), done
    assert all(s == f"{k}/{n}" for k, _, s in done), done
    held = sum(c for _, c, _ in done)
    assert held == whole["sessions"], (held, whole)

    # (1) agentstat merge: the unsharded file, byte for byte.
    merged = os.path.join(out_dir, "merged.parquet")
    p = subprocess.run([binary, "merge", shard_dir, "-o", merged], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"merge failed:\n{p.stderr}")
    with open(merged, "rb") as a, open(whole_path, "rb") as b:
        assert a.read() == b.read(), "merged shards differ from the single-process facets"

    # (2) Spark reads the shard files as one dataset: the same rows as the single-process file.
    t = time.time()
    shards = spark.read.parquet(shard_dir)
    single = spark.read.parquet(whole_path)
    # Row for row (repr, so that a NaN equals itself); small enough to compare in the driver.
    rows_shards = sorted(repr(tuple(r)) for r in shards.collect())
    rows_single = sorted(repr(tuple(r)) for r in single.collect())
    assert len(rows_shards) == whole["sessions"], (len(rows_shards), whole)
    assert rows_shards == rows_single, "Spark's dataset of shards differs from the single run"
    keys = shards.select("session_key").distinct().count()
    assert keys == whole["sessions"], keys
    by_agent = {r["agent"]: r["count"] for r in shards.groupBy("agent").count().collect()}
    t_read = time.time() - t
    spark.stop()

    print(
        json.dumps(
            {
                "shards": n,
                "sessions": whole["sessions"],
                "sessions_per_shard": sorted(c for _, c, _ in done),
                "by_agent": by_agent,
                "seconds": {
                    "single_process_extract": round(t_single, 2),
                    "spark_start": round(t_start, 2),
                    "spark_shard_tasks": round(t_tasks, 2),
                    "spark_read_and_compare": round(t_read, 2),
                },
            }
        )
    )
    print("spark: merged shards equal the single-process run; Spark's dataset too")


if __name__ == "__main__":
    main()
