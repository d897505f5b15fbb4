import dagster as dg
import polars as pl
import pytest

from multimodal_pipeline.defs.io_manager import ContentAddressedParquetIOManager
from multimodal_pipeline.storage import CorruptTableError, TableStore

parts = dg.StaticPartitionsDefinition(["a", "b", "c"])


@dg.asset(partitions_def=parts)
def per_video(context: dg.AssetExecutionContext) -> pl.DataFrame:
    return pl.DataFrame({"video_id": [context.partition_key] * 2, "n": [1, 2]})


@dg.asset(partitions_def=parts)
def downstream(per_video: pl.DataFrame) -> pl.DataFrame:
    return per_video.with_columns(pl.col("n") * 10)


@dg.asset
def fan_in(per_video: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return pl.concat([df for _, df in sorted(per_video.items())])


def test_partitioned_round_trip_metadata_fan_in_and_tamper(tmp_path):
    io = ContentAddressedParquetIOManager(data_root=str(tmp_path))
    instance = dg.DagsterInstance.ephemeral()
    for key in ("a", "b"):
        result = dg.materialize([per_video, downstream], partition_key=key, resources={"io_manager": io},
                                instance=instance)
        (mat, _) = [e.materialization for e in result.get_asset_materialization_events()]
        meta = mat.metadata
        assert meta["rows"].value == 2 and meta["schema_version"].value == 1
        assert meta["path"].value.endswith(meta["sha256"].value + ".parquet")
    store = TableStore.of_data_root(tmp_path)
    assert store.read("downstream", "b")["n"].to_list() == [10, 20]
    # fan-in reads every materialized partition ("c" was never materialized and is skipped)
    result = dg.materialize([per_video, fan_in], selection=[fan_in], resources={"io_manager": io}, instance=instance)
    assert result.output_for_node("fan_in")["video_id"].to_list() == ["a", "a", "b", "b"]
    # a tampered upstream file fails the load with a clear error
    path = store.local_path(store.current("per_video", "a"))
    with open(path, "ab") as f:
        f.write(b"junk")
    with pytest.raises(CorruptTableError):
        dg.materialize([per_video, downstream], selection=[downstream], partition_key="a",
                       resources={"io_manager": io}, instance=instance)
