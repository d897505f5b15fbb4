import dagster as dg
from dagster_duckdb import DuckDBResource

from multimodal_pipeline.defs.resources import PipelineResource
from multimodal_pipeline.storage.catalog import refresh_catalog


def build_catalog_asset(tiers: list[dg.AssetsDefinition]) -> dg.AssetsDefinition:
    @dg.asset(deps=tiers, kinds={"duckdb"}, group_name="audit")
    def audit_catalog(context: dg.AssetExecutionContext, pipeline: PipelineResource,
                      duckdb: DuckDBResource) -> dg.MaterializeResult:
        """DuckDB views, one per tier, over the current Parquet of every partition (for audit queries)."""
        with duckdb.get_connection() as conn:
            counts = refresh_catalog(conn, pipeline.tables)
            rows = {name: conn.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in counts}
        context.log.info(f"catalog views: {counts}")
        return dg.MaterializeResult(metadata={"views": dg.MetadataValue.json(counts),
                                              "rows": dg.MetadataValue.json(rows),
                                              "database": dg.MetadataValue.path(str(pipeline.layout.catalog))})

    return audit_catalog
