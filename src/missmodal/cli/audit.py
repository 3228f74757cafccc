"""`missmodal audit`: what is missing and how."""

import click

from ._common import load_data_argument, status, write_json


@click.command("audit")
@click.argument("data")
@click.option("--target", default=None, help="Target column of a Parquet DATA file.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the audit as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Write a self-contained HTML report.")
@click.option("--head-coverage", type=float, default=0.8, show_default=True, help="Share of samples the head groups cover.")
@click.option("--no-mechanism", is_flag=True, help="Skip the mechanism-evidence models and Little's test.")
@click.option("--classifier", type=click.Choice(["logistic", "boosting"]), default="logistic", show_default=True,
              help="Mechanism-evidence model: logistic regression or histogram gradient boosting (non-linear).")
@click.option("--seed", type=int, default=0, show_default=True)
def command(data, target, json_path, html_path, head_coverage, no_mechanism, classifier, seed) -> None:
    """Print the combination-group table of DATA; optionally write JSON and HTML."""
    from ..audit import audit, audit_html

    dataset = load_data_argument(data, target)
    status("auditing groups" + ("" if no_mechanism else " and mechanism evidence"))
    result = audit(dataset, head_coverage=head_coverage, mechanism=not no_mechanism, seed=seed, classifier=classifier)
    for line in result.summary_lines() + result.evidence_lines():
        click.echo(line)
    if json_path:
        write_json(json_path, {"data": data, **result.to_dict()})
    if html_path:
        audit_html(dataset, result, title=f"missmodal audit: {data}").write(html_path)
