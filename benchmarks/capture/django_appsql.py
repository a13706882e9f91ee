"""Capture the SQL a real Django emits for application querysets, for the corpus in ``fixtures/appsql/``.

    pip install 'django>=5.2,<6'                        # the `capture` extra
    python benchmarks/capture/django_appsql.py          # PostgreSQL and MariaDB
    python benchmarks/capture/django_appsql.py --engine postgres

The Django project is ``fixtures/appsql/django_app/`` (apps billing, helpdesk, teams, forum, catalog; their
migrations are made on the first run and kept). The script migrates it into a throwaway database of the local
PostgreSQL (``sqltune.testing.postgres.postgres_dsn``; the database is dropped at the end) and of a private
MariaDB it starts (``sqltune.testing.mariadb``, through PyMySQL as MySQLdb; stopped and deleted at the end),
adds a few rows, then evaluates each queryset of :data:`SCENARIOS` with ``connection.execute_wrapper``
recording every statement exactly as Django hands it to the driver: SQL with ``%s`` placeholders, and the
parameters. It writes

- ``fixtures/appsql/schemas/django_{postgres,mysql}.sql``: ``sqlmigrate`` of every app (the DDL Django runs);
- ``fixtures/appsql/django-<area>.toml``: one case per recorded statement. A case already in the file keeps its
  reviewed fields (``exercises``, ``note``, ``expected``, ``applied``, ``advised``); only ``sql`` and
  ``params`` are refreshed. MySQL statements have their ``%s`` written as ``?`` (sqltune's MySQL dialect
  reads ``?``, not ``%s``); PostgreSQL statements keep ``%s``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sys
import tomllib
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fixtures" / "appsql"
PROJECT = CORPUS / "django_app"
APPS = ["billing", "teams", "helpdesk", "forum", "catalog"]
REVIEWED = ("exercises", "note", "portable", "expected", "applied", "advised")


@dataclass(frozen=True)
class Scenario:
    area: str
    name: str
    orm: str  # the queryset, as an application writes it
    run: Callable[[str], Any]  # evaluates it on a database alias


def scenarios() -> list[Scenario]:
    """The querysets, built once Django is set up (the models import only then)."""
    from billing.models import Account, Invoice
    from catalog.models import Part, Widget, WidgetPart
    from django.db.models import Count, Exists, OuterRef, Q, Sum
    from forum.models import Folder, Reply, Thread
    from helpdesk.models import Ticket, Workspace
    from teams.models import Member, Team, TeamMember

    def first(qs: Any) -> Any:
        return qs.first()

    def listed(qs: Any) -> list[Any]:
        return list(qs)

    def get(model: Any, db: str, **lookup: Any) -> Any:
        try:
            return model.objects.using(db).get(**lookup)
        except model.DoesNotExist:
            return None

    s = Scenario
    return [
        # -- billing: accounts and invoices ------------------------------------------------------------------
        s("billing", "invoice_ids_by_account_name", 'Invoice.objects.filter(account__name="acme").values_list("id", '
          "flat=True)", lambda db: listed(Invoice.objects.using(db).filter(account__name="acme")
                                          .values_list("id", flat=True))),
        s("billing", "invoices_of_account_id_via_relation", "Invoice.objects.filter(account__id=3)",
          lambda db: listed(Invoice.objects.using(db).filter(account__id=3))),
        s("billing", "invoices_in_accounts_subquery",
          'Invoice.objects.filter(account__in=Account.objects.filter(plan="pro"))',
          lambda db: listed(Invoice.objects.using(db).filter(account__in=Account.objects.using(db)
                                                               .filter(plan="pro")))),
        s("billing", "count_invoices_joined_to_accounts", 'Invoice.objects.filter(account__plan="pro").count()',
          lambda db: Invoice.objects.using(db).filter(account__plan="pro").count()),
        s("billing", "invoices_select_related_account", 'Invoice.objects.select_related("account")'
          '.filter(status="open")[:20]',
          lambda db: listed(Invoice.objects.using(db).select_related("account").filter(status="open")[:20])),
        s("billing", "invoice_by_account_and_number", "Invoice.objects.get(account_id=2, number=1)",
          lambda db: get(Invoice, db, account_id=2, number=1)),
        s("billing", "latest_invoice_of_account_by_number",
          'Invoice.objects.filter(account_id=2, number=1).order_by("-id").first()',
          lambda db: first(Invoice.objects.using(db).filter(account_id=2, number=1).order_by("-id"))),
        s("billing", "accounts_with_invoices_distinct", 'Account.objects.filter(invoices__status="paid").distinct()',
          lambda db: listed(Account.objects.using(db).filter(invoices__status="paid").distinct())),
        s("billing", "accounts_annotated_invoice_count", 'Account.objects.annotate(n=Count("invoices"))'
          ".filter(n__gt=1)", lambda db: listed(Account.objects.using(db).annotate(n=Count("invoices"))
                                                .filter(n__gt=1))),
        s("billing", "unpaid_total_per_status", 'Invoice.objects.filter(paid_at__isnull=True).values("status")'
          '.annotate(total=Sum("total")).order_by()',
          lambda db: listed(Invoice.objects.using(db).filter(paid_at__isnull=True).values("status")
                            .annotate(total=Sum("total")).order_by())),
        s("billing", "invoices_of_account_ids", "Invoice.objects.filter(account_id__in=[1, 2, 3])"
          '.exclude(status="void")', lambda db: listed(Invoice.objects.using(db)
                                                      .filter(account_id__in=[1, 2, 3]).exclude(status="void"))),
        s("billing", "accounts_exists_paid_invoice",
          'Account.objects.filter(Exists(Invoice.objects.filter(account=OuterRef("pk"), status="paid")))',
          lambda db: listed(Account.objects.using(db).filter(
              Exists(Invoice.objects.using(db).filter(account=OuterRef("pk"), status="paid"))))),
        # -- helpdesk: workspaces and tickets ------------------------------------------------------------------
        s("helpdesk", "ticket_by_workspace_and_number_latest",
          'Ticket.objects.filter(workspace_id=1, number=1).order_by("-id").first()',
          lambda db: first(Ticket.objects.using(db).filter(workspace_id=1, number=1).order_by("-id"))),
        s("helpdesk", "ticket_get_by_workspace_and_number", "Ticket.objects.get(workspace_id=1, number=2)",
          lambda db: get(Ticket, db, workspace_id=1, number=2)),
        s("helpdesk", "ticket_exists_by_number", "Ticket.objects.filter(workspace_id=1, number=3).exists()",
          lambda db: Ticket.objects.using(db).filter(workspace_id=1, number=3).exists()),
        s("helpdesk", "tickets_by_workspace_slug", 'Ticket.objects.filter(workspace__slug="slug-1")'
          '.order_by("-created_at")[:25]', lambda db: listed(Ticket.objects.using(db)
                                                            .filter(workspace__slug="slug-1")
                                                            .order_by("-created_at")[:25])),
        s("helpdesk", "ticket_ids_joined_to_workspace", 'Ticket.objects.filter(workspace__isnull=False)'
          '.values_list("id", flat=True)', lambda db: listed(Ticket.objects.using(db)
                                                            .filter(workspace__isnull=False)
                                                            .values_list("id", flat=True))),
        s("helpdesk", "count_open_tickets_of_workspace", 'Ticket.objects.filter(workspace_id=2, state="open")'
          ".count()", lambda db: Ticket.objects.using(db).filter(workspace_id=2, state="open").count()),
        s("helpdesk", "unassigned_or_active_assignee",
          "Ticket.objects.filter(Q(assignee__isnull=True) | Q(assignee__in=Member.objects.filter(active=True)))",
          lambda db: listed(Ticket.objects.using(db).filter(
              Q(assignee__isnull=True) | Q(assignee__in=Member.objects.using(db).filter(active=True))))),
        s("helpdesk", "tickets_assigned_to_team",
          'Ticket.objects.filter(assignee__memberships__team_id=8).distinct()',
          lambda db: listed(Ticket.objects.using(db).filter(assignee__memberships__team_id=8).distinct())),
        s("helpdesk", "workspaces_with_open_tickets", 'Workspace.objects.filter(tickets__state="open").distinct()',
          lambda db: listed(Workspace.objects.using(db).filter(tickets__state="open").distinct())),
        s("helpdesk", "ticket_page_two", 'Ticket.objects.filter(workspace_id=1).order_by("-id")[20:40]',
          lambda db: listed(Ticket.objects.using(db).filter(workspace_id=1).order_by("-id")[20:40])),
        # -- teams: members, teams, memberships ------------------------------------------------------------------
        s("teams", "active_members_in_team_subquery", "Member.objects.filter(active=True, id__in=TeamMember"
          '.objects.filter(team_id=8).values("member_id"))',
          lambda db: listed(Member.objects.using(db).filter(
              active=True, id__in=TeamMember.objects.using(db).filter(team_id=8).values("member_id")))),
        s("teams", "members_not_in_any_team", 'Member.objects.exclude(id__in=TeamMember.objects.values("member_id"))',
          lambda db: listed(Member.objects.using(db).exclude(
              id__in=TeamMember.objects.using(db).values("member_id")))),
        s("teams", "members_of_team_join", "Member.objects.filter(memberships__team_id=8)",
          lambda db: listed(Member.objects.using(db).filter(memberships__team_id=8))),
        s("teams", "members_of_team_join_distinct", "Member.objects.filter(memberships__team__archived=False)"
          ".distinct()", lambda db: listed(Member.objects.using(db)
                                           .filter(memberships__team__archived=False).distinct())),
        s("teams", "member_ids_of_team_through_member", 'TeamMember.objects.filter(team_id=8, member__isnull=False)'
          '.values_list("member_id", flat=True)',
          lambda db: listed(TeamMember.objects.using(db).filter(team_id=8, member__isnull=False)
                            .values_list("member_id", flat=True))),
        s("teams", "teams_of_active_members_distinct", "Team.objects.filter(memberships__member__active=True)"
          ".distinct()", lambda db: listed(Team.objects.using(db)
                                           .filter(memberships__member__active=True).distinct())),
        s("teams", "count_memberships_of_active_members", "TeamMember.objects.filter(member__active=True)"
          ".count()", lambda db: TeamMember.objects.using(db).filter(member__active=True).count()),
        s("teams", "members_with_manager_or_none",
          'Member.objects.filter(Q(manager__isnull=True) | Q(manager__in=Member.objects.filter(active=True)))',
          lambda db: listed(Member.objects.using(db).filter(
              Q(manager__isnull=True) | Q(manager__in=Member.objects.using(db).filter(active=True))))),
        s("teams", "member_by_email", 'Member.objects.filter(email="email-3").first()',
          lambda db: first(Member.objects.using(db).filter(email="email-3"))),
        s("teams", "teams_prefetch_memberships", 'Team.objects.filter(archived=False).prefetch_related'
          '("memberships")[:10]', lambda db: listed(Team.objects.using(db).filter(archived=False)
                                                   .prefetch_related("memberships")[:10])),
        # -- forum: folders, threads, replies --------------------------------------------------------------------
        s("forum", "count_threads_replied_by", 'Thread.objects.filter(id__in=Reply.objects.filter(author_id=3)'
          '.values("thread_id")).count()', lambda db: Thread.objects.using(db).filter(
              id__in=Reply.objects.using(db).filter(author_id=3).values("thread_id")).count()),
        s("forum", "count_threads_replied_by_distinct_join", "Thread.objects.filter(replies__author_id=3)"
          ".distinct().count()", lambda db: Thread.objects.using(db).filter(replies__author_id=3)
          .distinct().count()),
        s("forum", "folders_self_subquery", 'Folder.objects.filter(id__in=Folder.objects.filter(archived=False)'
          '.values("id"))', lambda db: listed(Folder.objects.using(db).filter(
              id__in=Folder.objects.using(db).filter(archived=False).values("id")))),
        s("forum", "folders_root_or_live_parent",
          "Folder.objects.filter(Q(parent__isnull=True) | Q(parent__in=Folder.objects.filter(archived=False)))",
          lambda db: listed(Folder.objects.using(db).filter(
              Q(parent__isnull=True) | Q(parent__in=Folder.objects.using(db).filter(archived=False))))),
        s("forum", "replies_in_live_folders", "Reply.objects.filter(thread__folder__archived=False)"
          '.values_list("id", flat=True)', lambda db: listed(Reply.objects.using(db)
                                                            .filter(thread__folder__archived=False)
                                                            .values_list("id", flat=True))),
        s("forum", "replies_of_thread_join", "Reply.objects.filter(thread__id=4, thread__isnull=False)"
          '.order_by("created_at")', lambda db: listed(Reply.objects.using(db)
                                                      .filter(thread__id=4, thread__isnull=False)
                                                      .order_by("created_at"))),
        s("forum", "threads_with_replies_distinct", "Thread.objects.filter(replies__isnull=False).distinct()",
          lambda db: listed(Thread.objects.using(db).filter(replies__isnull=False).distinct())),
        s("forum", "threads_prefetch_replies", 'Thread.objects.prefetch_related("replies")[:5]',
          lambda db: listed(Thread.objects.using(db).prefetch_related("replies")[:5])),
        s("forum", "threads_reply_count", 'Thread.objects.annotate(n=Count("replies")).order_by("-n")[:10]',
          lambda db: listed(Thread.objects.using(db).annotate(n=Count("replies")).order_by("-n")[:10])),
        s("forum", "threads_not_replied_by", 'Thread.objects.exclude(replies__author_id=3)',
          lambda db: listed(Thread.objects.using(db).exclude(replies__author_id=3))),
        # -- catalog: widgets and parts --------------------------------------------------------------------------
        s("catalog", "widget_parts_distinct", "WidgetPart.objects.filter(widget_id=7).distinct()",
          lambda db: listed(WidgetPart.objects.using(db).filter(widget_id=7).distinct())),
        s("catalog", "widgets_using_parts_distinct", "Widget.objects.filter(widget_parts__part_id__in=[1, 2, 3])"
          ".distinct()", lambda db: listed(Widget.objects.using(db)
                                           .filter(widget_parts__part_id__in=[1, 2, 3]).distinct())),
        s("catalog", "parts_of_widget_subquery", 'Part.objects.filter(id__in=WidgetPart.objects.filter('
          'widget_id=7).values("part_id"))', lambda db: listed(Part.objects.using(db).filter(
              id__in=WidgetPart.objects.using(db).filter(widget_id=7).values("part_id")))),
        s("catalog", "widget_part_quantities_joined", 'WidgetPart.objects.filter(widget__sku="sku-7")'
          '.values_list("part_id", "quantity")', lambda db: listed(WidgetPart.objects.using(db)
                                                                  .filter(widget__sku="sku-7")
                                                                  .values_list("part_id", "quantity"))),
        s("catalog", "count_widget_parts_through_both", "WidgetPart.objects.filter(widget__isnull=False, "
          "part__isnull=False).count()", lambda db: WidgetPart.objects.using(db)
          .filter(widget__isnull=False, part__isnull=False).count()),
        s("catalog", "widget_by_sku_latest", 'Widget.objects.filter(sku="sku-7").order_by("-id").first()',
          lambda db: first(Widget.objects.using(db).filter(sku="sku-7").order_by("-id"))),
        s("catalog", "parts_values_distinct", 'Part.objects.values("id", "name").distinct()',
          lambda db: listed(Part.objects.using(db).values("id", "name").distinct())),
        s("catalog", "widget_parts_of_supplier", 'WidgetPart.objects.filter(part__supplier="acme")'
          '.values_list("widget_id", flat=True).distinct()',
          lambda db: listed(WidgetPart.objects.using(db).filter(part__supplier="acme")
                            .values_list("widget_id", flat=True).distinct())),
    ]  # fmt: skip


# -- Django set-up ---------------------------------------------------------------------------------------------
def configure(databases: dict[str, dict[str, Any]]) -> None:
    import django
    from django.conf import settings

    sys.path.insert(0, str(PROJECT))
    settings.configure(
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}, **databases},
        INSTALLED_APPS=APPS,
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=False,
    )
    django.setup()


def make_migrations() -> None:
    from django.core.management import call_command

    if not all((PROJECT / app / "migrations" / "0001_initial.py").exists() for app in APPS):
        call_command("makemigrations", *APPS, verbosity=0)


def schema_sql(alias: str) -> str:
    """``sqlmigrate`` of every app, in dependency order, without the transaction lines."""
    from django.core.management import call_command

    parts = []
    for app in APPS:
        out = io.StringIO()
        call_command("sqlmigrate", app, "0001", database=alias, stdout=out)
        lines = [line for line in out.getvalue().splitlines() if line.strip() not in ("BEGIN;", "COMMIT;")]
        parts.append("\n".join(lines).strip())
    return "\n".join(parts) + "\n"


def seed(alias: str) -> None:
    """A few rows, so that ``first()``, prefetching and ``get()`` run every statement they can."""
    from billing.models import Account, Invoice
    from catalog.models import Part, Widget, WidgetPart
    from forum.models import Folder, Reply, Thread
    from helpdesk.models import Ticket, Workspace
    from teams.models import Member, Team, TeamMember

    when = dt.datetime(2024, 3, 1, 12, 0)
    account = Account.objects.using(alias).create(name="acme", plan="pro", created_at=when)
    Invoice.objects.using(alias).create(account=account, number=1, status="open", total=Decimal("10.00"),
                                        issued_on=dt.date(2024, 3, 1))  # fmt: skip
    member = Member.objects.using(alias).create(email="email-1", name="ann")
    team = Team.objects.using(alias).create(name="core")
    TeamMember.objects.using(alias).create(team=team, member=member, role="admin")
    workspace = Workspace.objects.using(alias).create(name="acme", slug="slug-1")
    Ticket.objects.using(alias).create(workspace=workspace, number=1, title="t", state="open", created_at=when)
    folder = Folder.objects.using(alias).create(name="inbox")
    thread = Thread.objects.using(alias).create(folder=folder, title="hello", created_at=when)
    Reply.objects.using(alias).create(thread=thread, author=member, body="hi", created_at=when)
    widget = Widget.objects.using(alias).create(name="w", sku="sku-1")
    part = Part.objects.using(alias).create(name="p", supplier="acme")
    WidgetPart.objects.using(alias).create(widget=widget, part=part, quantity=2)


@contextmanager
def recording(alias: str) -> Iterator[list[tuple[str, list[Any]]]]:
    """Every statement Django executes on ``alias``, as sent to the driver: (SQL with %s, parameters)."""
    from django.db import connections

    statements: list[tuple[str, list[Any]]] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, list(params or ())))
        return execute(sql, params, many, context)

    with connections[alias].execute_wrapper(record):
        yield statements


def capture(alias: str) -> list[tuple[int, Scenario, int, str, list[Any]]]:
    """(scenario's position, scenario, statement's number, SQL, parameters) of every statement recorded."""
    out = []
    for position, scenario in enumerate(scenarios()):
        with recording(alias) as statements:
            scenario.run(alias)
        out.extend((position, scenario, number, sql, params) for number, (sql, params) in enumerate(statements, 1))
    return out


# -- writing the corpus ------------------------------------------------------------------------------------------
def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):  # psycopg's Int4 and friends print as Int4(1)
        return str(int(value))
    if isinstance(value, float):
        return repr(float(value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return json.dumps(str(value))
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)


def write_area(area: str, cases: list[dict[str, Any]]) -> Path:
    path = CORPUS / f"django-{area}.toml"
    kept = {}
    if path.exists():
        kept = {case["name"]: case for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]}
    lines = [
        f"# {area}: SQL captured from Django {django_version()} by benchmarks/capture/django_appsql.py (do not edit",
        "# sql or params by hand: re-run the capture). Reviewed fields survive a re-capture. Fields: see README.md.",
        "",
        f'area = "{area}"',
    ]
    for case in cases:
        merged = {**case, **{key: kept[case["name"]][key] for key in REVIEWED if key in kept.get(case["name"], {})}}
        lines += ["", "[[case]]"]
        order = ["name", "source", "orm", "dialect", "schema", "sql", "params", *REVIEWED]
        lines += [f"{key} = {toml_value(merged[key])}" for key in order if key in merged]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def django_version() -> str:
    import django

    return django.get_version()


def to_case(alias: str, scenario: Scenario, number: int, sql: str, params: list[Any]) -> dict[str, Any]:
    mysql = alias == "mariadb"
    suffix = "" if number == 1 else f"_{number}"
    return {
        "name": f"{scenario.name}{suffix}.{'mysql' if mysql else 'pg'}",
        "source": f"django {django_version()} {'mysql (pymysql)' if mysql else 'postgresql (psycopg)'}, captured",
        "orm": scenario.orm,
        "dialect": "mysql" if mysql else "postgres",
        "schema": "django-mysql" if mysql else "django-postgres",
        "sql": sql.replace("%s", "?") if mysql else sql,
        "params": [p.replace(tzinfo=None) if isinstance(p, dt.datetime) else p for p in params],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--engine", choices=["postgres", "mariadb", "both"], default="both")
    args = parser.parse_args(argv)
    name = f"sqltune_appsql_{uuid.uuid4().hex[:8]}"
    databases: dict[str, dict[str, Any]] = {}
    cleanup: list[Callable[[], None]] = []
    try:
        if args.engine in ("postgres", "both"):
            import psycopg

            from sqltune.testing.postgres import postgres_dsn

            dsn = postgres_dsn()
            info = psycopg.conninfo.conninfo_to_dict(dsn)
            with psycopg.connect(dsn, autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE {name}")

            def drop_pg() -> None:
                with psycopg.connect(dsn, autocommit=True) as admin:
                    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

            cleanup.append(drop_pg)
            where = {"HOST": info.get("host"), "PORT": info.get("port"), "USER": info.get("user")}
            databases["postgres"] = {"ENGINE": "django.db.backends.postgresql", "NAME": name, **where}
        if args.engine in ("mariadb", "both"):
            import pymysql

            from sqltune.testing.mariadb import start_server

            pymysql.install_as_MySQLdb()
            server = start_server(slow_log=False)
            cleanup.append(server.terminate)
            address = server.address
            with pymysql.connect(host=address["host"], port=address["port"], user="root", password="") as admin:
                admin.cursor().execute(f"CREATE DATABASE {name}")
            databases["mariadb"] = {"ENGINE": "django.db.backends.mysql", "NAME": name, "HOST": address["host"],
                                    "PORT": address["port"], "USER": "root", "PASSWORD": ""}  # fmt: skip
        configure(databases)
        make_migrations()
        from django.core.management import call_command
        from django.db import connections

        by_area: dict[str, list[dict[str, Any]]] = {}
        for alias in databases:
            schema = CORPUS / "schemas" / f"django_{'mysql' if alias == 'mariadb' else 'postgres'}.sql"
            schema.parent.mkdir(parents=True, exist_ok=True)
            schema.write_text(schema_sql(alias), encoding="utf-8")
            call_command("migrate", database=alias, verbosity=0)
            seed(alias)
            recorded = capture(alias)
            for position, scenario, number, sql, params in recorded:
                case = to_case(alias, scenario, number, sql, params)
                by_area.setdefault(scenario.area, []).append({**case, "position": (position, number, alias)})
            print(f"{alias}: {len(recorded)} statements, schema in {schema.relative_to(ROOT)}")
            connections[alias].close()
        for area, cases in by_area.items():
            cases.sort(key=lambda case: case.pop("position"))
            print(f"{write_area(area, cases).relative_to(ROOT)}: {len(cases)} cases")
    finally:
        for step in reversed(cleanup):
            step()
    return 0


if __name__ == "__main__":
    sys.exit(main())
