"""The Label Studio adapter: the only code that imports label-studio-sdk or reads Label Studio's JSON.

`server` (install, start, stop a pinned server in its own venv), `client` (auth, retries, redaction), `config` (the
labelling config from the label schema), `project` (project settings and label migrations), `push` (idempotent
upsert of tasks with pre-annotations), `pull` (paged export, then canonical records), `convert` (tasks,
predictions, canonical records, offset checks), `export_schema`, `views`, `quick`, `stated_text` and `validation`
(Label Studio tasks as a record kind of `newsbench validate`), `submit` (annotation sheets), `users`, `status`.
"""
