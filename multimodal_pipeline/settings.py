"""Where the pipeline keeps its data. One root, four tiers of storage (see DESIGN.md, Storage)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from multimodal_pipeline.storage.root import DataRoot, is_remote

REPO_ROOT = Path(__file__).resolve().parent.parent


def default_data_root() -> str:
    """`$MMP_DATA_ROOT` if set (a folder or an object-store URI such as `s3://bucket/prefix`), else `data/` beside
    the package (the repository checkout)."""
    env = os.environ.get("MMP_DATA_ROOT")
    if not env:
        return str(REPO_ROOT / "data")
    return env if is_remote(env) else str(Path(env).resolve())


@dataclass(frozen=True)
class DataLayout:
    """The folders of the data root's working copy (the root itself when it is local; see storage.root)."""

    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "raw"

    @property
    def staged(self) -> Path:
        return self.root / "staged"

    @property
    def curated(self) -> Path:
        return self.root / "curated"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def inbox(self) -> Path:
        """Where users drop URI lists: `$MMP_INBOX` if set, else `inbox/` of the working copy (the data root itself
        when it is a folder)."""
        env = os.environ.get("MMP_INBOX")
        return Path(env) if env else self.root / "inbox"

    @property
    def tables(self) -> Path:
        """Content-addressed Parquet of every tier, one folder per asset."""
        return self.staged / "tables"

    @property
    def stage_cache(self) -> Path:
        """The outputs of expensive stages by stage key (audio extraction, alignment): an unchanged re-run reuses
        them."""
        return self.staged / "stage_cache"

    @property
    def registry(self) -> Path:
        """One JSON file per video partition: where it came from (written by the inbox sensor)."""
        return self.root / "registry"

    @property
    def catalog(self) -> Path:
        return self.artifacts / "catalog.duckdb"

    def report_url(self, path: str | Path) -> str | None:
        """The loopback URL of a file under `artifacts/` as `make ui` serves it (`$MMP_REPORTS_URL`, default
        http://127.0.0.1:3001); None for a file elsewhere."""
        try:
            relative = Path(path).resolve().relative_to(self.artifacts.resolve())
        except ValueError:
            return None
        base = os.environ.get("MMP_REPORTS_URL", "http://127.0.0.1:3001").rstrip("/")
        return f"{base}/{relative.as_posix()}"

    @classmethod
    def default(cls) -> DataLayout:
        return cls(DataRoot(default_data_root()).local)


def default_config_file() -> Path | None:
    """`$MMP_CONFIG` if set, else `pipeline.yaml` in the checkout when it exists."""
    env = os.environ.get("MMP_CONFIG")
    if env:
        return Path(env)
    path = REPO_ROOT / "pipeline.yaml"
    return path if path.exists() else None


def load_config(path: str | Path | None):
    """Parse a pipeline YAML file into PipelineConfig (defaults for everything it leaves out).

    Parsed once per file version: an edited file (new mtime or size) is read again."""
    if not path:
        return _parse_config(None, 0, 0)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"pipeline config {path} does not exist")
    stat = path.stat()
    return _parse_config(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _parse_config(path: str | None, _mtime_ns: int, _size: int):
    import yaml

    from multimodal_pipeline.contracts.config import PipelineConfig

    if path is None:
        return PipelineConfig()
    data = yaml.safe_load(Path(path).read_text()) or {}
    try:
        return PipelineConfig.model_validate(data)
    except Exception as exc:
        raise ValueError(f"{path}: invalid pipeline config: {exc}") from exc


def with_overrides(config, overrides: dict[str, dict]):
    """`config` (a PipelineConfig) with some fields of some sections replaced, validated again."""
    if not overrides:
        return config
    data = config.model_dump()
    for section, fields in overrides.items():
        if section not in data or not isinstance(fields, dict):
            raise ValueError(f"settings: {section!r} is not a section of pipeline.yaml ({', '.join(data)}) with a "
                             f"mapping of its fields")
        data[section] = _merge(data[section], fields)
    return type(config).model_validate(data)


def _merge(base: dict, updates: dict) -> dict:
    """`base` with `updates` applied; nested mappings (a section's sub-sections) are merged, not replaced."""
    out = dict(base)
    for key, value in updates.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
