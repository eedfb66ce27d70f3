"""Database schema commands; the URL comes from WAGECASE_DATABASE_URL (or --url).

python -m db upgrade                 # bring the schema to the newest revision
python -m db current                 # which revision the database is at
python -m db check                   # exit 1 unless the database is at the newest revision
python -m db revision -m "message"   # write a migration for model changes (no live database needed)
python -m db --url sqlite:////tmp/x.db current   # another database
"""

import argparse
import logging
import sys

from db import migrate


def _upgrade(args: argparse.Namespace) -> int:
    before, after = migrate.upgrade(args.url, revision=args.revision)
    where = migrate.display_url(args.url)
    if before == after:
        print(f"{where}: already at {after or 'the empty schema'}, nothing to do")
    else:
        print(f"{where}: upgraded from {before or 'empty'} to {after}")
    return 0


def _current(args: argparse.Namespace) -> int:
    revision, head = migrate.current(args.url), migrate.head()
    where = migrate.display_url(args.url)
    if revision is None:
        print(f"{where}: no migrations applied (head is {head})")
    elif revision == head:
        print(f"{where}: {revision} (head)")
    else:
        print(f"{where}: {revision} (head is {head})")
    return 0


def _check(args: argparse.Namespace) -> int:
    revision, head = migrate.current(args.url), migrate.head()
    where = migrate.display_url(args.url)
    if revision == head:
        print(f"{where}: up to date at {head}")
        return 0
    print(f"{where}: at {revision or 'no revision'}, head is {head}: run `python -m db upgrade`", file=sys.stderr)
    return 1


def _revision(args: argparse.Namespace) -> int:
    path = migrate.revision(args.message, rev_id=args.rev_id)
    if path is None:
        print(f"the models match {migrate.head()}: no migration written")
    else:
        print(f"wrote {path}\nreview it (types, indexes, data to carry over) before committing")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m db", description="wagecase database schema (Alembic)")
    parser.add_argument("--url", help="database URL (default: WAGECASE_DATABASE_URL or var/wagecase.db)")
    parser.add_argument("-v", "--verbose", action="store_true", help="show Alembic's log")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("upgrade", help="apply migrations up to a revision (default head)")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(run=_upgrade)
    commands.add_parser("current", help="show the database's revision").set_defaults(run=_current)
    commands.add_parser("check", help="exit 1 unless the database is at head").set_defaults(run=_check)
    rev = commands.add_parser("revision", help="autogenerate a migration from the models")
    rev.add_argument("-m", "--message", required=True)
    rev.add_argument("--rev-id", help="revision id (default: the next number, e.g. 0002)")
    rev.set_defaults(run=_revision)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    try:
        return args.run(args)
    except Exception as exc:  # a clear line, not a traceback, for the operator
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if args.verbose:
            raise
        return 1


if __name__ == "__main__":
    sys.exit(main())
