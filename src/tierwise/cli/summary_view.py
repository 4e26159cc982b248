"""Rich rendering of a generated book's summary (used by ``tierwise demo``)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table

from tierwise.generate.summary import BookSummary


def _share_table(title: str, counts: dict[str, int]) -> Table:
    total = sum(counts.values()) or 1
    t = Table(title=title, title_justify="left")
    t.add_column("value")
    t.add_column("customers", justify="right")
    t.add_column("share", justify="right")
    for key, n in counts.items():
        t.add_row(str(key), f"{n:,}", f"{100 * n / total:.1f} %")
    return t


def render_summary(console: Console, s: BookSummary, where: Path) -> None:
    """Print the summary: customers by type/province/channel, orders per month, dirt."""
    console.print(
        f"\n[bold]Demo book[/] at {where}: {s.orders:,} orders, {s.order_lines:,} order lines"
    )
    console.print(_share_table("Customers by business type", s.customers_by_type))
    console.print(_share_table("Customers by province", s.customers_by_province))
    console.print(_share_table("Customers by channel", s.customers_by_channel))
    months = Table(title="Orders per month", title_justify="left")
    months.add_column("month")
    months.add_column("orders", justify="right")
    months.add_column("revenue (yuan)", justify="right")
    months.add_column("")
    peak = max(s.orders_per_month.values(), default=1)
    for month, n in s.orders_per_month.items():
        months.add_row(
            month, f"{n:,}", f"{s.revenue_per_month[month]:,.0f}", "█" * round(30 * n / peak)
        )
    console.print(months)
    dirt = Table(title="Dirt injected (truth/manifest.json)", title_justify="left")
    dirt.add_column("kind")
    dirt.add_column("count", justify="right")
    for kind, n in s.dirt.items():
        dirt.add_row(kind, f"{n:,}")
    console.print(dirt)
