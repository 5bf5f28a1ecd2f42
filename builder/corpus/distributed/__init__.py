"""`prepare --engine dask`: the stages as Dask tasks on a cluster, with the outputs of a single process.

The stages' own per-record code runs in the tasks (readers, `Cleaner`, MinHash signatures, the split decision,
the segmenter); this package only cuts the input into partitions (`partitions`), moves small facts to the driver
where a stage needs the whole corpus (duplicate ids, exact copies, LSH buckets across partitions, clusters, split
placement), and concatenates the partitions' outputs in input order. `engine` connects to the cluster; `runners`
says which task plan writes each stage. See the README section "Distributed engine".
"""
