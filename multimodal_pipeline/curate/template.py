"""The persona / system prompt template: a versioned text file whose sha256 travels with every snapshot.

Templates ship in `multimodal_pipeline/curate/templates/<name>.txt` (package data). A new persona is a new file
(`persona_v2.txt`), never an edit of an existing one: the hash in a snapshot must keep pointing at one text.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import polars as pl

from multimodal_pipeline.storage.hashing import sha256_bytes

def _templates():
    return resources.files("multimodal_pipeline.curate").joinpath("templates")


@dataclass(frozen=True)
class PersonaTemplate:
    name: str
    text: str  # the file's text, as is
    sha256: str  # of the file's bytes

    @property
    def system(self) -> str:
        """The system message: the file's text without its surrounding white space."""
        return self.text.strip()

    def messages(self, prompt: str, response: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": self.system}, {"role": "user", "content": prompt},
                {"role": "assistant", "content": response}]

    def messages_expr(self, prompt: str = "prompt", response: str = "response") -> pl.Expr:
        """A Polars expression building the `messages` column [system, user, assistant] from two columns."""
        def msg(role: str, content: pl.Expr) -> pl.Expr:
            return pl.struct(role=pl.lit(role, dtype=pl.String), content=content.cast(pl.String))

        return pl.concat_list(msg("system", pl.lit(self.system)), msg("user", pl.col(prompt)),
                              msg("assistant", pl.col(response))).alias("messages")


def load_template(spec: str) -> PersonaTemplate:
    """A shipped template by name (`persona_v1`) or a text file by path."""
    if spec.endswith(".txt") or "/" in spec or "\\" in spec:
        path = Path(spec)
        data = path.read_bytes()
        name = path.stem
    else:
        res = _templates().joinpath(f"{spec}.txt")
        if not res.is_file():
            shipped = sorted(p.name[:-4] for p in _templates().iterdir() if p.name.endswith(".txt"))
            raise FileNotFoundError(f"no persona template {spec!r}; shipped: {shipped}")
        data = res.read_bytes()
        name = spec
    return PersonaTemplate(name=name, text=data.decode("utf-8"), sha256=sha256_bytes(data))
