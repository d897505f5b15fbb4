"""Command line: `python -m multimodal_pipeline <command>` (also installed as `mmp`)."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mmp", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="generate a synthetic stream and run every tier on it through Dagster")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--minutes", type=float, default=10.0)
    demo.add_argument("--chat-format", default="youtube_live_chat",
                      choices=["youtube_live_chat", "twitch_comments", "twitch_irc"])

    gen = sub.add_parser("generate", help="write a synthetic stream (MP4, chat in three formats, ground truth)")
    gen.add_argument("out_dir")
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("--minutes", type=float, default=1.0)
    gen.add_argument("--name", default="demo")

    query = sub.add_parser("sql", help="run a read-only SQL query over the current tables (one DuckDB view per tier)")
    query.add_argument("query")

    args = parser.parse_args(argv)
    if args.command == "demo":
        from multimodal_pipeline.defs.demo import run_demo

        return run_demo(seed=args.seed, minutes=args.minutes, chat_format=args.chat_format)
    if args.command == "generate":
        from pathlib import Path

        from multimodal_pipeline.synth import StreamSpec, generate_stream

        stream = generate_stream(Path(args.out_dir), StreamSpec(seed=args.seed, duration_s=args.minutes * 60,
                                                                name=args.name))
        print(stream)
        return 0
    if args.command == "sql":
        import duckdb

        from multimodal_pipeline.settings import default_data_root
        from multimodal_pipeline.storage import TableStore
        from multimodal_pipeline.storage.catalog import refresh_catalog

        # read-only by construction: the views live in an in-memory database over the current Parquet, so a query
        # never locks or changes the catalog file that the audit_catalog asset writes (and never waits for it)
        with duckdb.connect(":memory:") as conn:
            refresh_catalog(conn, TableStore.of_data_root(default_data_root()))
            print(conn.sql(args.query))
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
