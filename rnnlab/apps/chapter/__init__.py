"""The RNN chapter reproduced: ``rnnlab chapter`` trains its six models and writes a report.

Modules, from the data up (importing this package imports none of them):

* :mod:`~rnnlab.apps.chapter.data`: the chapter's two-sine series and their splits.
* :mod:`~rnnlab.apps.chapter.baselines`: the naive forecast and the MSE.
* :mod:`~rnnlab.apps.chapter.recipes`: the six models as the chapter builds them.
* :mod:`~rnnlab.apps.chapter.pipeline`: :func:`~rnnlab.apps.chapter.pipeline.run_chapter`,
  data to scores, no files written.
* :mod:`~rnnlab.apps.chapter.plotting`: figures, drawn without pyplot.
* :mod:`~rnnlab.apps.chapter.report`: ``results.json``, ``report.md`` and the figures,
  in a folder replaced atomically.
* :mod:`~rnnlab.apps.chapter.cli`: the ``rnnlab chapter`` subcommand.

The old paths (``rnnlab.data``, ``rnnlab.baselines``, ``rnnlab.plotting``,
``rnnlab.chapter``, ``rnnlab.report``) still import the same names.
"""
