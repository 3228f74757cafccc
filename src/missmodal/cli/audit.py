"""`missmodal audit`: what is missing and how."""

import click

from ._common import load_data_argument, schema_options, status, write_json


@click.command("audit")
@click.argument("data")
@schema_options
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the audit as JSON.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False), help="Write a self-contained HTML report.")
@click.option("--head-coverage", type=float, default=0.8, show_default=True, help="Share of samples the head groups cover.")
@click.option("--no-mechanism", is_flag=True, help="Skip the mechanism-evidence models and Little's test.")
@click.option("--classifier", type=click.Choice(["logistic", "boosting"]), default="logistic", show_default=True,
              help="Mechanism-evidence model: logistic regression or histogram gradient boosting (non-linear).")
@click.option("--seed", type=int, default=0, show_default=True)
def command(data, data_options, json_path, html_path, head_coverage, no_mechanism, classifier, seed) -> None:
    """Print the combination-group table of DATA; optionally write JSON and HTML."""
    from .._paths import guard_outputs
    from ..audit import audit, audit_html

    guard_outputs({"--json": json_path, "--html": html_path}, inputs=[data, data_options.schema_path])

    dataset = load_data_argument(data, data_options)
    status("auditing groups" + ("" if no_mechanism else " and mechanism evidence"))
    result = audit(dataset, head_coverage=head_coverage, mechanism=not no_mechanism, seed=seed, classifier=classifier)
    for line in result.summary_lines() + result.modality_lines() + result.evidence_lines():
        click.echo(line)
    from ..encode.provenance import provenance_lines

    for line in provenance_lines(dataset.metadata):  # files written by `missmodal encode`
        click.echo(line)
    if json_path:
        write_json(json_path, {"data": data, **result.to_dict()})
    if html_path:
        audit_html(dataset, result, title=f"missmodal audit: {data}").write(html_path)
