"""Saving and loading models (groundwork).

For now this package only holds safe I/O building blocks, each in its own module
and imported by name, so that ``import rnnlab`` stays light:

- :mod:`rnnlab.saving.atomic`: replace a file all at once (``atomic_write``).
- :mod:`rnnlab.saving.safe_h5`: read an untrusted HDF5 file (``read_arrays``).
- :mod:`rnnlab.saving.safe_zip`: read an untrusted ``.keras`` zip (``SafeZip``).
- :mod:`rnnlab.saving.errors`: the one error class, ``UnsafeFileError``.

``docs/keras-format.md`` describes the Keras file formats these will serve.
"""
