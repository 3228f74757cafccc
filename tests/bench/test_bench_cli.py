"""The whole grid through the command line: every section of results.json."""

import json
import subprocess
import sys

SMALL_DATA = "latent:n_samples=240,n_modalities=3,dim=6,seed=1"


def test_cli_grid_writes_every_section(tmp_path):
    config = tmp_path / "grid.yaml"
    config.write_text(json.dumps({
        "datasets": [SMALL_DATA], "scenarios": [{"name": "mar30", "mechanism": "mar", "rate": 0.3, "always_observed": ["m0"]}],
        "seeds": [0], "imputers": ["mean", "cluster"], "models": [{"model": "late", "loss": "erm"}, {"model": "remind", "loss": "group-dro"}],
        "training": {"epochs": 3}, "informativeness": {"bootstrap": 5},
    }))
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "missmodal", "bench", "--config", str(config), "--out", str(out)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    results = json.loads((out / "results.json").read_text())
    assert {"audit", "informativeness", "imputation", "models", "command", "versions", "seeds"} <= set(results)
    assert results["cells"]["failed"] == []
    audit = next(iter(results["audit"].values()))
    assert audit["n_groups"] >= 2 and audit["groups"][0]["count"] > 0
    assert {r["method"] for r in results["imputation"]["rows"]} == {"mean", "cluster"}
    assert all(r["f1_micro"]["mean"] is not None and r["reconstruction_error"]["mean"] is not None for r in results["imputation"]["rows"])
    models = {r["method"]: r for r in results["models"]["rows"]}
    assert set(models) == {"late+erm", "remind+group-dro", "logistic", "gbdt"}  # the baselines always run
    assert all(r["accuracy"]["mean"] is not None and r["allcomb_accuracy"]["mean"] is not None for r in models.values())
    heat = next(iter(results["models"]["group_accuracy"].values()))
    assert len(heat["groups"]) == 7  # all non-empty combinations of 3 modalities
    info = results["informativeness"]["rows"][0]
    assert set(info["quantities"]["gain_bits"]) == {"m0", "m1", "m2"}
    assert info["rmse_to_oracle"]["gain_bits"]["corrected"] is not None
    assert (out / "results.md").read_text().startswith("# missmodal bench results")
    assert "wrote" in result.stdout
    printed = result.stdout.splitlines()
    for line in (line for lines in results["findings"].values() for line in lines):
        assert f"- {line}" in printed  # each finding on one line, never broken at a fixed width
