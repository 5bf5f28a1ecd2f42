"""Label Studio round trip: a local server, an idempotent push with pre-annotations, a paged pull.

Modules: `server` (install/start/stop a pinned server in its own venv), `client` (the only module that imports
label-studio-sdk; auth, retries, redaction), `project` (project and labeling config from the label schema),
`push`, `pull`, `status`, and `convert` (task data, predictions, canonical records, offset checks).
"""
