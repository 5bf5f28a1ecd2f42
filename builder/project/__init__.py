"""The outer layer of the job: starting a project (`scaffold`, `newsbench init`) and the whole job on the shipped
data (`demo`, `newsbench demo`). It may use every part; nothing but the face imports it."""
