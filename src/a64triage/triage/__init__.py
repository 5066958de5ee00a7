"""The triage stage: many logs at once — signatures, clusters, groups and the batch outputs.

It stands after render/: a worker runs the whole pipeline on one input
(``worker.triage_input``), and the client folds the per-report keys into
groups (``groups.GroupTable``) and writes the files of ``docs/BATCH.md``
(``outputs.OutputDir``).  Nothing here knows how the work is scheduled
(process pool or Dask): that is the ``batch`` command's choice.
"""
