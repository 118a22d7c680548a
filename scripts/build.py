"""The one build command for deploying Limber with the ASK CLI.

    python scripts/build.py                  # skill package and Lambda bundle
    python scripts/build.py --skip-lambda    # skill package only (no network needed)
    python scripts/build.py --docs-url https://NAME.github.io/REPO/
                                             # point skill.json at the published policies

It writes what ask-resources.json points at:

* ``skill-package/`` - ``skill.json`` from the root ``skill.json`` and
  ``interactionModels/custom/<locale>.json`` for every locale, written by
  ``limber.interaction_model.write_models`` (as scripts/generate_models.py does), beside the
  committed store icons in ``assets/images/`` (drawn by scripts/icons.py). Nothing in it is
  edited by hand.
* ``build/lambda/`` - the Lambda code folder: ``lambda_function.py``, the ``limber`` package
  without the local hosts (console, web), ``content/``, and the pure-Python runtime
  dependencies from ``lambda/requirements.txt``, each module with its bytecode compiled by
  the Lambda runtime's own Python version (3.12, from ask-resources.json; the build fails
  if that interpreter is missing), and ``content/precompiled.pickle``: every kind of content
  loaded and checked at build time by the runtime's own loaders (a content error fails the
  build with the loader's message), which the function uses instead of parsing the TOML again
  (limber.core.compiled says how and when), and ``limber/dataclass_methods.cpython-312.marshal``:
  the code of every dataclass method, compiled once here instead of at every cold start
  (limber.dataclass_cache says why). ``build/lambda.zip`` is the same folder zipped,
  byte-for-byte reproducible, for tests and bench/bundle.py.

Why bytecode: Lambda's /var/task is read-only, so without ``__pycache__`` in the bundle every
cold start compiles every imported module from source again (and can cache nothing). The
``.pyc`` files are "unchecked-hash" ones: Python loads them without comparing them with the
source's timestamp (the zip's dates are fixed, and the sources never change on Lambda), and
they hold no build time, so the zip stays reproducible. Sources stay in the bundle for
tracebacks, whose paths read ``/var/task/...`` as on Lambda.

Why a built folder and not ``lambda/``: the CLI's python-pip build flow would run ``pip
install`` with whatever Python the deploying machine has, for that machine's platform (an
x86_64 wheel in an arm64 function breaks at import), and ``content/`` would have to be copied
into the source tree. ``build/lambda`` holds no ``requirements.txt``, so the CLI takes its
zip-only flow and uploads exactly what this script built and the tests ran.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SKILL_JSON = ROOT / "skill.json"
ASK_RESOURCES = ROOT / "ask-resources.json"
ASK_STATES = ROOT / ".ask" / "ask-states.json"
SKILL_PACKAGE_DIR = ROOT / "skill-package"
BUILD_DIR = ROOT / "build"
LAMBDA_SOURCE = ROOT / "lambda"
CONTENT_SOURCE = ROOT / "content"

CFN_DEPLOYER = "@ask-cli/cfn-deployer"
# Local hosts (and `python -m limber`, which starts the console) need extras - Flask,
# pyttsx3, PyYAML - that the function never uses.
EXCLUDED_FROM_PACKAGE = frozenset({"console", "web", "__main__.py"})
# The Lambda Python runtime ships these; bundling them would only add megabytes.
PROVIDED_BY_LAMBDA = frozenset({"boto3", "botocore", "s3transfer", "jmespath"})
# Our bundle sits first on sys.path, so any copy of a package the runtime's botocore also uses
# shadows the runtime's. Keep such copies inside botocore's own version ranges.
BOTOCORE_COMPATIBLE = ("python-dateutil>=2.1,<3", "urllib3>=1.25.4,!=2.2.0,<3")
# Where the owner publishes docs/ (GitHub Pages, README "Deploying"); the manifest's policy
# URLs are this base plus each page. The placeholder is replaced with --docs-url.
PLACEHOLDER_DOCS_URL = "https://OWNER.github.io/limber/"
POLICY_PAGES = {"privacyPolicyUrl": "privacy-policy.html", "termsOfUseUrl": "terms-of-use.html"}
DOCS_DIR = ROOT / "docs"
FILL_IN_MARK = "[to fill:"  # what the owner still has to write in a published policy
ICON_KEYS = ("smallIconUri", "largeIconUri")
ASSETS = "assets"  # skill-package/assets: committed, uploaded with the package
# Fixed timestamp, so the same inputs give byte-identical zips.
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
IGNORED_NAMES = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".*", "*.egg-info")
LAMBDA_TASK_ROOT = "/var/task"  # where Lambda unpacks the bundle: the paths in tracebacks


class BuildError(RuntimeError):
    """The inputs are inconsistent; the message says which file to fix."""


# --- project settings -------------------------------------------------------------------------


def ask_resources(profile: str = "default") -> dict:
    resources = json.loads(ASK_RESOURCES.read_text(encoding="utf-8"))
    try:
        return resources["profiles"][profile]
    except KeyError:
        raise BuildError(f"ask-resources.json has no profile '{profile}'") from None


def lambda_python_version(profile: str = "default") -> str:
    """'3.12' from the runtime the CLI passes to the template (userConfig.runtime)."""
    runtime = ask_resources(profile)["skillInfrastructure"]["userConfig"]["runtime"]
    if not runtime.startswith("python3."):
        raise BuildError(f"ask-resources.json runtime '{runtime}' is not a Python runtime")
    return runtime.removeprefix("python")


def deployed_endpoint(profile: str = "default") -> str | None:
    """The Lambda ARN from the last `ask deploy`, if there was one on this machine."""
    if not ASK_STATES.is_file():
        return None
    states = json.loads(ASK_STATES.read_text(encoding="utf-8"))
    deploy_state = (
        states.get("profiles", {})
        .get(profile, {})
        .get("skillInfrastructure", {})
        .get(CFN_DEPLOYER, {})
        .get("deployState", {})
        .get("default", {})
    )
    for output in deploy_state.get("outputs", []):
        if output.get("OutputKey") == "SkillEndpoint":
            return output.get("OutputValue")
    return None


# --- skill package ----------------------------------------------------------------------------


def packaged_manifest(manifest: dict, endpoint: str | None) -> dict:
    """The manifest as uploaded: endpoints filled in when the Lambda ARN is known.

    Before the first deploy there is no ARN yet. The events block is then left out, because
    an events subscription needs an endpoint; `ask deploy` adds both after the stack is up
    (ask-resources.json lists the same subscriptions under userConfig.skillEvents).
    """
    packaged = json.loads(json.dumps(manifest))
    body = packaged["manifest"]
    if endpoint:
        body["apis"]["custom"]["endpoint"] = {"uri": endpoint}
        if "events" in body:
            body["events"]["endpoint"] = {"uri": endpoint}
    else:
        body.pop("events", None)
    return packaged


def check_manifest_locales(manifest: dict, locales: tuple[str, ...]) -> None:
    body = manifest["manifest"]
    for section in ("publishingInformation", "privacyAndCompliance"):
        declared = set(body[section]["locales"])
        if declared != set(locales):
            raise BuildError(
                f"skill.json {section}.locales {sorted(declared)} differ from the interaction "
                f"model locales {sorted(locales)}"
            )


def check_icons(manifest: dict, package_dir: Path) -> None:
    """Every locale names both store icons, as files inside the skill package."""
    for locale, listing in manifest["manifest"]["publishingInformation"]["locales"].items():
        for key in ICON_KEYS:
            uri = listing.get(key, "")
            if not uri.startswith(f"file://{ASSETS}/"):
                raise BuildError(f"skill.json {locale} {key} '{uri}' is not a file://{ASSETS}/ icon")
            if not (package_dir / uri.removeprefix("file://")).is_file():
                raise BuildError(f"skill.json {locale} {key}: {uri} is not in {package_dir}")


def policy_urls(docs_url: str) -> dict[str, str]:
    base = docs_url if docs_url.endswith("/") else docs_url + "/"
    if not base.startswith("https://"):
        raise BuildError(f"--docs-url '{docs_url}' must be an https:// address")
    return {key: base + page for key, page in POLICY_PAGES.items()}


def set_docs_url(docs_url: str, skill_json: Path = SKILL_JSON) -> None:
    """Point every locale's privacy policy and terms of use at the published docs/."""
    manifest = json.loads(skill_json.read_text(encoding="utf-8"))
    for urls in manifest["manifest"]["privacyAndCompliance"]["locales"].values():
        urls.update(policy_urls(docs_url))
    _write_json(skill_json, manifest)


def certification_gaps(manifest: dict, docs_dir: Path = DOCS_DIR) -> list[str]:
    """What still stands between this package and certification (development deploys work)."""
    gaps = []
    placeholder = set(policy_urls(PLACEHOLDER_DOCS_URL).values())
    locales = manifest["manifest"]["privacyAndCompliance"]["locales"].values()
    urls = [url for urls in locales for url in urls.values()]
    if placeholder & set(urls):
        gaps.append(f"skill.json policy URLs still on {PLACEHOLDER_DOCS_URL}: run with --docs-url")
    for page in POLICY_PAGES.values():
        source = docs_dir / page.replace(".html", ".md")
        if FILL_IN_MARK in source.read_text(encoding="utf-8"):
            gaps.append(f"{source.relative_to(ROOT)} still has '{FILL_IN_MARK} ...]' to complete")
    return gaps


def build_skill_package(out_dir: Path = SKILL_PACKAGE_DIR, *, endpoint: str | None = None) -> list[Path]:
    """``skill.json``, every locale's model (a dropped locale's is removed) and the icons."""
    interaction_model = _interaction_model()
    manifest = json.loads(SKILL_JSON.read_text(encoding="utf-8"))
    check_manifest_locales(manifest, tuple(interaction_model.locales()))
    out_dir.mkdir(parents=True, exist_ok=True)
    if out_dir.resolve() != SKILL_PACKAGE_DIR.resolve():
        shutil.copytree(SKILL_PACKAGE_DIR / ASSETS, out_dir / ASSETS, dirs_exist_ok=True)
    check_icons(manifest, out_dir)
    manifest_path = out_dir / "skill.json"
    _write_json(manifest_path, packaged_manifest(manifest, endpoint))
    # The models' own writer, so they match the committed copies byte for byte.
    models = interaction_model.write_models(out_dir / "interactionModels" / "custom")
    icons = sorted(p for p in (out_dir / ASSETS).rglob("*") if p.is_file())
    return [manifest_path, *models, *icons]


def _interaction_model():
    sys.path.insert(0, str(LAMBDA_SOURCE))  # the package need not be pip-installed
    from limber import interaction_model

    return interaction_model


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- Lambda bundle ----------------------------------------------------------------------------


def copy_sources(code_dir: Path) -> None:
    shutil.copy2(LAMBDA_SOURCE / "lambda_function.py", code_dir / "lambda_function.py")

    def ignore(folder: str, names: list[str]) -> set[str]:
        ignored = set(IGNORED_NAMES(folder, names))
        if Path(folder) == LAMBDA_SOURCE / "limber":
            ignored |= EXCLUDED_FROM_PACKAGE & set(names)
        return ignored

    shutil.copytree(LAMBDA_SOURCE / "limber", code_dir / "limber", ignore=ignore)
    shutil.copytree(CONTENT_SOURCE, code_dir / "content", ignore=IGNORED_NAMES)


def install_dependencies(code_dir: Path, python_version: str) -> None:
    """Pure-Python wheels only (py3-none-any), so the bundle runs on arm64 and x86_64 alike."""
    with tempfile.TemporaryDirectory() as scratch:
        constraints = Path(scratch) / "constraints.txt"
        constraints.write_text("\n".join(BOTOCORE_COMPATIBLE) + "\n", encoding="utf-8")
        command = [
            sys.executable, "-m", "pip", "install",
            "--quiet", "--disable-pip-version-check", "--no-compile",
            "--target", str(code_dir),
            "--only-binary=:all:", "--platform", "any", "--implementation", "py",
            "--abi", "none", "--python-version", python_version,
            "-r", str(LAMBDA_SOURCE / "requirements.txt"),
            "-c", str(constraints),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BuildError(f"pip install failed:\n{result.stdout}\n{result.stderr}")
    # Console-script wrappers and anything the runtime already provides.
    for name in ("bin", *PROVIDED_BY_LAMBDA):
        shutil.rmtree(code_dir / name, ignore_errors=True)
    for info in code_dir.glob("*.dist-info"):
        distribution = info.name.split("-")[0].lower().replace("_", "-")
        if distribution in PROVIDED_BY_LAMBDA:
            shutil.rmtree(info)


def zip_folder(folder: Path, zip_path: Path) -> Path:
    """Deterministic zip: sorted entries, fixed dates, world-readable modes.

    Lambda runs the code as a user other than the zip's owner, so files must be 0644.
    """
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    files = sorted((p.relative_to(folder).as_posix(), p) for p in folder.rglob("*") if p.is_file())
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in files:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    return zip_path


def runtime_python(version: str) -> str:
    """An interpreter of the Lambda runtime's version: $LIMBER_LAMBDA_PYTHON, pythonX.Y on
    PATH, or pyenv's. Bytecode is version-specific, so no other version will do."""
    candidates = [os.environ.get("LIMBER_LAMBDA_PYTHON"), shutil.which(f"python{version}")]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(str(p) for p in pyenv_root.glob(f"versions/{version}.*/bin/python{version}"))
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                               capture_output=True, text=True, check=False)  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == version:
            return candidate
    raise BuildError(
        f"the Lambda runtime is Python {version} (ask-resources.json), and its bytecode needs a "
        f"Python {version} to compile it, but none was found: install one (`pyenv install "
        f"{version}`, or your system's python{version}) or set LIMBER_LAMBDA_PYTHON to its path"
    )


def compile_bytecode(code_dir: Path, python: str) -> None:
    """``__pycache__/*.cpython-3XX.pyc`` beside every module, as unchecked-hash pycs."""
    command = [
        python, "-m", "compileall", "-q", "-j", "0",
        "--invalidation-mode", "unchecked-hash",
        "-s", str(code_dir), "-p", LAMBDA_TASK_ROOT,  # co_filename: /var/task/...
        str(code_dir),
    ]  # fmt: skip
    # A fixed hash seed: marshal writes set constants in hash order; this keeps them stable.
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONWARNINGS": "ignore"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise BuildError(f"compiling bytecode with {python} failed:\n{result.stdout}\n{result.stderr}")


# Runs in the built folder: limber.core.compiled loads every kind of content as the runtime
# does (every check runs) and writes content/precompiled.pickle. See that module for why.
PRECOMPILE = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from limber.core import compiled
try:
    compiled.write(Path(sys.argv[1]) / "content")
except ValueError as error:  # ContentError, TriageContentError, LexiconError: the file and field
    sys.exit(f"{type(error).__name__}: {error}")
"""


def precompile_content(code_dir: Path, python: str) -> Path:
    """``content/precompiled.pickle``, written by ``python`` from the bundle's own code.

    It must be the runtime's version: the file holds regex programs of that version's engine
    (another version would ignore the file and load the TOML). A content error stops the
    build with the loader's message."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1"}  # a stable pickle
    env.pop("LIMBER_CONTENT_DIR", None)
    command = [python, "-S", "-c", PRECOMPILE, str(code_dir)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=code_dir, check=False)
    if result.returncode != 0:
        raise BuildError(f"content/ does not load, so nothing was built:\n{result.stderr.strip()}")
    return code_dir / "content" / "precompiled.pickle"


# Runs in the built folder: imports the handler and every core and skill module with
# limber.dataclass_cache recording, and writes what dataclasses compiled (see that module).
RECORD_DATACLASSES = """
import importlib, pkgutil, sys
sys.path.insert(0, sys.argv[1])
from limber import dataclass_cache
seen = dataclass_cache.record()
import lambda_function
import limber.core, limber.skill
for package in (limber.core, limber.skill):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
dataclass_cache.write(seen)
"""


def prebuild_dataclass_methods(code_dir: Path, python: str) -> None:
    """``limber/dataclass_methods.<tag>.marshal``: the bundle's dataclass methods, compiled by
    the runtime's Python (code objects are version-specific)."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "LIMBER_STORE": "memory"}
    env.pop("LIMBER_CONTENT_DIR", None)
    command = [python, "-S", "-c", RECORD_DATACLASSES, str(code_dir)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=code_dir, check=False)
    if result.returncode != 0:
        raise BuildError(f"recording the bundle's dataclass methods failed:\n{result.stderr.strip()}")


def build_lambda(build_dir: Path = BUILD_DIR, *, profile: str = "default", bytecode: bool = True) -> Path:
    """``bytecode=False`` leaves out the bytecode, and precompiles the content with this Python
    (a file the runtime then ignores, unless this Python is the runtime's version)."""
    version = lambda_python_version(profile)
    python = runtime_python(version) if bytecode else None  # fail before the slow part
    code_dir = build_dir / "lambda"
    if code_dir.exists():
        shutil.rmtree(code_dir)
    code_dir.mkdir(parents=True)
    copy_sources(code_dir)
    precompile_content(code_dir, python or sys.executable)  # before pip: bad content fails fast
    install_dependencies(code_dir, version)
    if python:
        prebuild_dataclass_methods(code_dir, python)
        compile_bytecode(code_dir, python)
    return zip_folder(code_dir, build_dir / "lambda.zip")


# --- command line -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skill-package-dir", type=Path, default=SKILL_PACKAGE_DIR)
    parser.add_argument("--build-dir", type=Path, default=BUILD_DIR)
    parser.add_argument("--profile", default="default", help="ASK CLI profile in ask-resources")
    endpoint = parser.add_mutually_exclusive_group()
    endpoint.add_argument(
        "--endpoint",
        default=os.environ.get("LIMBER_LAMBDA_ARN"),
        help="Lambda ARN for skill.json (default: $LIMBER_LAMBDA_ARN, else the SkillEndpoint "
        "output recorded in .ask/ask-states.json by the last `ask deploy`)",
    )
    endpoint.add_argument("--no-endpoint", action="store_true", help="package as for a first deploy")
    parser.add_argument(
        "--docs-url",
        help="write this base address of the published docs/ into every locale's privacy policy "
        "and terms of use URL in skill.json, then build",
    )
    parser.add_argument("--skip-package", action="store_true")
    parser.add_argument("--skip-lambda", action="store_true")
    args = parser.parse_args(argv)

    try:
        if args.docs_url:
            set_docs_url(args.docs_url)
            print(f"skill.json: policy URLs now under {args.docs_url}")
        if not args.skip_package:
            endpoint = None if args.no_endpoint else args.endpoint or deployed_endpoint(args.profile)
            written = build_skill_package(args.skill_package_dir, endpoint=endpoint)
            print(f"skill package: {len(written)} files in {args.skill_package_dir}")
            if not endpoint:
                print("  no Lambda ARN yet: endpoints and events are added by `ask deploy`")
            for gap in certification_gaps(json.loads(SKILL_JSON.read_text(encoding="utf-8"))):
                print(f"  not yet certifiable: {gap}")
        if not args.skip_lambda:
            zip_path = build_lambda(args.build_dir, profile=args.profile)
            print(f"lambda bundle: {zip_path} ({zip_path.stat().st_size / 1e6:.2f} MB)")
    except BuildError as error:
        print(f"build failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
