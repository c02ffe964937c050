"""pip-audit over the installed environment, honest about what it could check.

pip-audit asks PyPI's per-release JSON (or OSV) for each installed package's
known vulnerabilities. Where that service cannot be reached, pip-audit skips
the package and still prints « No known vulnerabilities found »; this wrapper
counts the skipped packages and says plainly that they were not audited.
Exit status: 1 on any known vulnerability, 0 otherwise."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

VENV_BIN = Path(sys.executable).parent


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "pip-audit.json"
        completed = subprocess.run(  # noqa: S603 -- our own venv's tool, fixed arguments
            [str(VENV_BIN / "pip-audit"), "--progress-spinner", "off", "--format", "json", "--output", str(report)],
            capture_output=True,
            text=True,
        )
        if not report.exists():
            print(completed.stderr.strip() or completed.stdout.strip())
            print("pip-audit : échec de l’outil lui-même.")
            return 1
        dependencies = json.loads(report.read_text())["dependencies"]
    vulnerable = [(d["name"], d["version"], v) for d in dependencies for v in d.get("vulns", [])]
    skipped = [d["name"] for d in dependencies if "skip_reason" in d]
    audited = len(dependencies) - len(skipped)
    for name, version, vuln in vulnerable:
        fixes = ", ".join(vuln.get("fix_versions", [])) or "aucune"
        print(f"VULNÉRABLE {name} {version} : {vuln['id']} (corrigé en {fixes})")
    print(f"pip-audit : {len(dependencies)} paquets, {audited} audités, {len(vulnerable)} vulnérabilité(s) connue(s).")
    if skipped:
        print(
            f"NON AUDITÉS : {len(skipped)} paquets — la base de vulnérabilités (PyPI JSON par version, OSV) "
            "n’a pas répondu depuis cette machine ; rien n’est affirmé pour eux."
        )
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
