"""Seeds, PRNG keys and layer naming shared by the whole library.

Keras keeps a global seed and a per-session counter for layer names; rnnlab
does the same so chapter-style code behaves alike (``simple_rnn``,
``simple_rnn_1``, …) and ``set_random_seed(42)`` makes every later weight
initialization and shuffle reproducible.
"""

from __future__ import annotations

import os
import random
import re
import threading
from collections import defaultdict
from pathlib import Path

import jax
import numpy as np

from rnnlab.validation import is_int

__all__ = [
    "KeyStream",
    "clear_session",
    "enable_compilation_cache",
    "global_key_stream",
    "key_rng",
    "next_key",
    "set_random_seed",
    "unique_name",
]


class KeyStream:
    """A deterministic stream of JAX PRNG keys derived from one seed.

    Each call to :meth:`next` folds a running counter into the base key, so the
    n-th key depends only on the seed and n.

    Example:
        >>> s = KeyStream(0)
        >>> k1, k2 = s.next(), s.next()
    """

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._base = jax.random.key(self.seed)
        self._count = 0
        self._lock = threading.Lock()  # models may be trained from several threads

    def next(self) -> jax.Array:
        """Return a fresh key (a typed JAX key array of shape ())."""
        with self._lock:
            count, self._count = self._count, self._count + 1
        return jax.random.fold_in(self._base, count)


_global_stream: KeyStream | None = None
_name_counts: defaultdict[str, int] = defaultdict(int)


def set_random_seed(seed: int) -> None:
    """Seed Python, NumPy and rnnlab's key stream, like ``keras.utils.set_random_seed``.

    After this call, building the same models and fitting them in the same
    order gives bit-identical weights and History on the same machine.

    Example:
        >>> import rnnlab
        >>> rnnlab.utils.set_random_seed(42)
    """
    if not is_int(seed):
        raise TypeError(f"set_random_seed: seed must be an integer, got {seed!r}")
    global _global_stream
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    _global_stream = KeyStream(int(seed))


def global_key_stream() -> KeyStream:
    """The global :class:`KeyStream` that :func:`next_key` draws from (seeded from OS
    entropy when :func:`set_random_seed` was never called). ``set_random_seed`` replaces it.

    Example:
        >>> set_random_seed(3); global_key_stream().seed
        3
    """
    global _global_stream
    if _global_stream is None:
        _global_stream = KeyStream(int(np.random.SeedSequence().entropy % 2**31))
    return _global_stream


def next_key() -> jax.Array:
    """Next key from the global stream; seeded from OS entropy if never seeded.

    Example:
        >>> key = next_key()
    """
    return global_key_stream().next()


def key_rng(key: jax.Array, *extra: int) -> np.random.Generator:
    """A NumPy generator seeded by the bits of a concrete JAX PRNG key (and ``extra``
    integers, e.g. an epoch number): same key and extras, same stream.

    Example:
        >>> a = key_rng(jax.random.key(1)).random(); b = key_rng(jax.random.key(1)).random()
        >>> a == b, key_rng(jax.random.key(1), 7).random() == a
        (True, False)
    """
    if jax.numpy.issubdtype(key.dtype, jax.dtypes.prng_key):
        key = jax.random.key_data(key)
    return np.random.default_rng([*np.asarray(key).ravel().tolist(), *extra])


def _snake_case(name: str) -> str:
    # SimpleRNN -> simple_rnn, Conv1D -> conv1d, LSTM -> lstm, as Keras names them.
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def unique_name(class_name: str) -> str:
    """Keras-style unique name: ``SimpleRNN`` → ``simple_rnn``, then ``simple_rnn_1``…

    Example:
        >>> clear_session(); unique_name("SimpleRNN"), unique_name("SimpleRNN")
        ('simple_rnn', 'simple_rnn_1')
    """
    base = _snake_case(class_name)
    count = _name_counts[base]
    _name_counts[base] += 1
    return base if count == 0 else f"{base}_{count}"


def clear_session() -> None:
    """Reset layer and model name counters, like ``keras.backend.clear_session``.

    Example:
        >>> clear_session()
    """
    _name_counts.clear()


def enable_compilation_cache(path: str | os.PathLike[str] | None = None) -> Path:
    """Keep compiled XLA programs on disk so later runs skip compilation.

    ``path`` defaults to ``$RNNLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/rnnlab/jax``
    (``~/.cache/rnnlab/jax``). It is JAX's persistent compilation cache: global
    to the process, so rnnlab does not turn it on by itself; ``rnnlab chapter``
    does unless given ``--no-cache``. Returns the folder used.

    Example:
        >>> enable_compilation_cache("/tmp/rnnlab-cache")  # doctest: +SKIP
        PosixPath('/tmp/rnnlab-cache')
    """
    if path is None:
        env = os.environ.get("RNNLAB_CACHE_DIR")
        base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
        path = env or base / "rnnlab" / "jax"
    folder = Path(path).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(folder))
    # Small models compile in well under a second: cache them all.
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return folder
