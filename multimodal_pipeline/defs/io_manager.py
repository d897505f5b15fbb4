import dagster as dg
import polars as pl

from multimodal_pipeline.contracts import TIER_RECORDS, validate
from multimodal_pipeline.storage import MissingTableError, TableStore


def _tier_name(asset: str) -> str:
    """Corpus assets reuse the contract of their per-video tier."""
    return {"corpus_snapshot": "curated_snapshot", "corpus_adapter": "adapter_checkpoint",
            "corpus_eval": "eval_report"}.get(asset, asset)


class ContentAddressedParquetIOManager(dg.ConfigurableIOManager):
    """Stores each output as Parquet named by the sha256 of its bytes (atomic write, hash verified on load).

    Partitioned to partitioned: one table per partition. Partitioned to unpartitioned (fan-in): a dict of
    partition key to table, over every partition that has been materialized.
    """

    data_root: str

    @property
    def store(self) -> TableStore:
        return TableStore.of_data_root(self.data_root)

    def handle_output(self, context: dg.OutputContext, obj: pl.DataFrame) -> None:
        if obj is None:
            return
        if not isinstance(obj, pl.DataFrame):
            raise TypeError(f"{context.asset_key.to_user_string()} returned {type(obj).__name__}, not a polars DataFrame")
        asset = context.asset_key.path[-1]
        partition = context.partition_key if context.has_partition_key else None
        model = TIER_RECORDS.get(_tier_name(asset))
        version = 1
        if model is not None:
            obj = validate(obj, model, source=f"output of {asset}[{partition or 'all'}]")
            version = model.schema_version
        stored = self.store.write(obj, asset, partition, version)
        context.add_output_metadata({
            "path": dg.MetadataValue.path(self.store.url(stored)),
            "sha256": stored.sha256,
            "rows": stored.rows,
            "schema_version": stored.schema_version,
            "preview": dg.MetadataValue.md(_preview(obj)),
        })

    def load_input(self, context: dg.InputContext):
        asset = context.asset_key.path[-1]
        store = self.store
        if not context.has_asset_partitions:
            return store.read(asset, None)
        keys = context.asset_partition_keys
        if context.has_partition_key:  # partition to partition
            (key,) = keys
            return store.read(asset, key)
        tables: dict[str, pl.DataFrame] = {}
        for key in keys:
            try:
                tables[key] = store.read(asset, key)
            except MissingTableError:
                context.log.warning(f"fan-in: {asset}[{key}] has not been materialized; skipped")
        return tables


def _preview(df: pl.DataFrame, rows: int = 5, width: int = 60) -> str:
    if df.height == 0:
        return "_empty table_"
    cols = [c for c in df.columns if df.schema[c] in (pl.String, pl.Int64, pl.Float64, pl.Boolean)][:8]
    head = df.head(rows).select(cols)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for row in head.iter_rows():
        cells = [str(v).replace("|", "\\|").replace("\n", " ")[:width] for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
