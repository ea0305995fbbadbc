"""One module per `replicheck` subcommand; `replicheck.cli` wires them together."""
