"""Policy files (``$TIERWISE_HOME/policies/*.yaml``) and the versions published through the API."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, func, insert, select

from tierwise.store.schema import PolicyVersion


class PolicyRepo:
    def __init__(self, engine: Engine, folder: Path) -> None:
        self.engine = engine
        self.folder = folder

    def files(self) -> list[dict[str, Any]]:
        """Every policy file: its name, title, text hash and last publication."""
        with self.engine.connect() as conn:
            last = {
                r.name: r
                for r in conn.execute(
                    select(
                        PolicyVersion.name,
                        func.max(PolicyVersion.published_at).label("published_at"),
                        func.count().label("versions"),
                    ).group_by(PolicyVersion.name)
                )
            }
        out = []
        for path in sorted(self.folder.glob("*.yaml")) if self.folder.is_dir() else []:
            text = path.read_text(encoding="utf-8")
            try:
                data = yaml.safe_load(text)
            except yaml.YAMLError:
                data = None
            meta = data if isinstance(data, dict) else {}
            name = str(meta.get("name") or path.stem)
            title = meta.get("title") if isinstance(meta.get("title"), dict) else None
            pub = last.get(name)
            out.append(
                {
                    "name": name,
                    "file": path.name,
                    "title": {str(k): str(v) for k, v in title.items()} if title else None,
                    "text_sha256": hashlib.sha256(text.encode()).hexdigest(),
                    "published_at": pub.published_at if pub else None,
                    "versions": int(pub.versions) if pub else 0,
                }
            )
        return out

    def record_publication(
        self, name: str, policy_hash: str, text: str, *, author: str, now: datetime
    ) -> int:
        """Keep the published text and who published it; write the file atomically."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.yaml"
        tmp = path.with_suffix(".yaml.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        with self.engine.begin() as conn:
            pk = conn.execute(
                insert(PolicyVersion).values(
                    name=name,
                    policy_hash=policy_hash,
                    yaml_text=text,
                    author=author,
                    published_at=now,
                )
            ).inserted_primary_key
        assert pk is not None
        return int(pk[0])

    def path_of(self, name: str) -> Path | None:
        """The file of the policy called ``name`` (by its ``name:`` key or its file name)."""
        for p in self.files():
            if name in (p["name"], p["file"].removesuffix(".yaml")):
                return self.folder / str(p["file"])
        return None
