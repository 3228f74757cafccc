"""`missmodal audit`: what is missing and how."""

import click

from ._common import load_data_argument, status, write_json, schema_options


@click.command("audit")
@click.argument("data")
@schema_options
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the audit as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Write a self-contained HTML report.")
@click.option("--head-coverage", type=float, default=0.8, show_default=True, help="Share of samples the head groups cover.")
@click.option("--no-mechanism", is_flag=True, help="Skip the mechanism-evidence models.")
@click.option("--seed", type=int, default=0, show_default=True)
def command(data, data_options, json_path, html_path, head_coverage, no_mechanism, seed) -> None:
    """Print the combination-group table of DATA; optionally write JSON and HTML."""
    from ..audit import audit, audit_html

    dataset = load_data_argument(data, data_options)
    status("auditing groups" + ("" if no_mechanism else " and mechanism evidence"))
    result = audit(dataset, head_coverage=head_coverage, mechanism=not no_mechanism, seed=seed)
    for line in result.summary_lines():
        click.echo(line)
    if result.mechanism:
        click.echo("mechanism evidence (CV AUROC of predicting presence; ~0.5 under MCAR):")
        for row in result.mechanism:
            auroc = "–" if row["auroc"] is None else f"{row['auroc']:.3f}"
            click.echo(f"  {row['name']:<20} missing {row['missing_rate']:.1%}  AUROC {auroc}  {row['verdict']}")
    if json_path:
        write_json(json_path, {"data": data, **result.to_dict()})
    if html_path:
        audit_html(dataset, result, title=f"missmodal audit: {data}").write(html_path)
