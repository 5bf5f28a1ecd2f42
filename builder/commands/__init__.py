"""One module per CLI subcommand: `add_parser(subparsers)` and a `run(args) -> int` that calls a stage function."""
