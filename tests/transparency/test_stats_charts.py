"""The SVG chart builders: accessible markup, escaped text, gaps for missing values."""

from marketplace.transparency import charts


def test_column_chart_is_an_accessible_image_tied_to_its_table():
    svg = charts.column_chart(
        chart_id="c1",
        title="Orders <per> month",
        desc="Two months & counting",
        labels=["05", "06"],
        series=[charts.Series("Orders", [3, None])],
        table_id="table-monthly",
    )
    opening = svg.split(">", 1)[0]
    assert 'role="img"' in opening
    assert 'aria-labelledby="c1-title c1-desc"' in opening
    assert 'aria-describedby="table-monthly"' in opening
    assert '<title id="c1-title">Orders &lt;per&gt; month</title>' in svg
    assert '<desc id="c1-desc">Two months &amp; counting</desc>' in svg
    assert svg.count("<rect") == 2  # one bar (the missing month draws none) and one legend swatch


def test_line_chart_breaks_at_missing_values():
    svg = charts.line_chart(
        chart_id="c2", title="t", desc="d", labels=["a", "b", "c", "d"],
        series=[charts.Series("rate", ["50.0", "60.0", None, "70.0"])], unit="%", top=100,
    )  # fmt: skip
    assert svg.count("<circle") == 3
    assert svg.count("<polyline") == 1  # a-b joined; d stands alone after the gap


def test_bar_chart_escapes_labels_and_draws_the_threshold():
    svg = charts.bar_chart(
        chart_id="c3", title="HHI", desc="d", labels=['<script>alert("x")</script>', "Empty"],
        values=["3800", None], threshold=2500, threshold_label="concentrated above 2,500",
    )  # fmt: skip
    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert 'class="chart__threshold"' in svg
    assert "—" in svg  # the item without a value says so instead of drawing nothing


def test_axis_tops_are_round():
    assert charts._nice_max(4, whole=True) == 4
    assert charts._nice_max(9, whole=True) == 12
    assert charts._nice_max(150000) == 200000
    assert charts._nice_max(0) == charts.GRID_STEPS
