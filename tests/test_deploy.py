"""The deployment: CloudFormation template, skill manifest, skill package and Lambda bundle.

Fast checks read the files the ASK CLI deploys; the Lambda bundle is built once per session
with the real build command (pip fetches the pure-Python wheels). The slow tests run that
bundle the way Lambda does: unpacked into an empty folder, in a fresh virtual environment that
holds only boto3, against DynamoDB served over HTTP by a moto server on 127.0.0.1 that refuses
any action the template's role does not grant.
"""

from __future__ import annotations

import ast
import functools
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from ask_sdk_model_runtime import DefaultSerializer
from cfnlint.decode import cfn_yaml

from dynamo_server import FAKE_AWS_ENV, MotoServer

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "infrastructure" / "cfn-deployer" / "skill-stack.yaml"
SKILL_JSON = ROOT / "skill.json"
ASK_RESOURCES = ROOT / "ask-resources.json"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
ENVELOPE_TYPE = "ask_smapi_model.v1.skill.manifest.skill_manifest_envelope.SkillManifestEnvelope"
# Passed by @ask-cli/cfn-deployer on every deploy (lib/builtins/deploy-delegates/cfn-deployer).
CLI_PARAMETERS = {"SkillId", "LambdaRuntime", "LambdaHandler", "CodeBucket", "CodeKey", "CodeVersion"}
CLI_RESERVED_PARAMETERS = CLI_PARAMETERS | {"SkillClientId", "SkillClientSecret"}
TABLE_ACTIONS = {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"}
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
BUNDLE_TARGET_BYTES = 2_000_000


import build  # noqa: E402  scripts/ is on pytest's path (pyproject)


@functools.cache
def template() -> dict:
    return cfn_yaml.load(str(TEMPLATE))


def resource(logical_id: str, kind: str) -> dict:
    found = template()["Resources"][logical_id]
    assert found["Type"] == kind
    return found["Properties"]


def resources_of(kind: str) -> dict[str, dict]:
    return {k: v for k, v in template()["Resources"].items() if v["Type"] == kind}


@functools.cache
def resources_config() -> dict:
    return json.loads(ASK_RESOURCES.read_text(encoding="utf-8"))["profiles"]["default"]


def user_config() -> dict:
    return resources_config()["skillInfrastructure"]["userConfig"]


@functools.cache
def manifest() -> dict:
    return json.loads(SKILL_JSON.read_text(encoding="utf-8"))


# --- CloudFormation template ------------------------------------------------------------------


def test_template_passes_cfn_lint_without_errors_or_warnings():
    cfn_lint = Path(sys.executable).with_name("cfn-lint")
    command = [str(cfn_lint if cfn_lint.exists() else shutil.which("cfn-lint")), str(TEMPLATE)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_template_declares_every_parameter_the_cli_passes():
    parameters = template()["Parameters"]
    assert CLI_PARAMETERS <= set(parameters)
    ours = user_config()["cfn"]["parameters"]
    assert not set(ours) & CLI_RESERVED_PARAMETERS  # the CLI refuses these names
    for name, spec in parameters.items():
        assert name in CLI_PARAMETERS or name in ours or "Default" in spec, name
    assert set(ours) <= set(parameters)


def test_function_runs_python_3_12_on_arm64_with_the_configured_handler():
    function = resource("SkillFunction", "AWS::Lambda::Function")
    parameters = template()["Parameters"]
    assert function["Runtime"] == {"Ref": "LambdaRuntime"}
    assert parameters["LambdaRuntime"]["AllowedValues"] == ["python3.12"]
    assert user_config()["runtime"] == "python3.12"
    assert function["Handler"] == {"Ref": "LambdaHandler"}
    assert parameters["LambdaHandler"]["AllowedValues"] == [user_config()["handler"]]
    module, handler = user_config()["handler"].split(".")
    source = (ROOT / "lambda" / f"{module}.py").read_text(encoding="utf-8")
    assert handler in {n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)}
    assert function["Architectures"] == ["arm64"]
    assert function["MemorySize"] == 256
    assert 8 <= function["Timeout"] <= 10
    assert function["Code"] == {
        "S3Bucket": {"Ref": "CodeBucket"},
        "S3Key": {"Ref": "CodeKey"},
        "S3ObjectVersion": {"Ref": "CodeVersion"},
    }


def test_function_environment_names_the_table_and_the_skill():
    variables = resource("SkillFunction", "AWS::Lambda::Function")["Environment"]["Variables"]
    assert variables == {
        "LIMBER_STORE": {"Fn::Sub": "dynamodb:${ProgressTable}"},
        "LIMBER_SKILL_ID": {"Ref": "SkillId"},
        "PYTHONWARNINGS": "ignore::SyntaxWarning",  # the slow test runs with it
    }


def test_progress_table_is_on_demand_encrypted_recoverable_protected_and_expiring():
    table = resource("ProgressTable", "AWS::DynamoDB::Table")
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert table["DeletionProtectionEnabled"] is True
    assert len(resources_of("AWS::DynamoDB::Table")) == 1


def test_role_grants_only_four_item_actions_on_the_table_and_logging_to_its_own_group():
    role = resource("SkillRole", "AWS::IAM::Role")
    assert "ManagedPolicyArns" not in role
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    assert all(s["Effect"] == "Allow" for s in statements)
    grants = {}
    for statement in statements:
        actions = statement["Action"]
        actions = [actions] if isinstance(actions, str) else actions
        assert not any("*" in action for action in actions)
        grants[json.dumps(statement["Resource"], sort_keys=True)] = set(actions)
    assert grants == {
        json.dumps({"Fn::GetAtt": ["ProgressTable", "Arn"]}): TABLE_ACTIONS,
        json.dumps({"Fn::GetAtt": ["SkillLogGroup", "Arn"]}): LOG_ACTIONS,
    }
    assert len(resources_of("AWS::IAM::Role")) == 1
    assert not resources_of("AWS::IAM::Policy") and not resources_of("AWS::IAM::ManagedPolicy")


def test_function_logs_to_the_stack_log_group_which_expires_entries():
    log_group = resource("SkillLogGroup", "AWS::Logs::LogGroup")
    assert 1 <= log_group["RetentionInDays"] <= 90
    function = resource("SkillFunction", "AWS::Lambda::Function")
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": "SkillLogGroup"}
    assert function["Role"] == {"Fn::GetAtt": ["SkillRole", "Arn"]}


def test_only_this_skill_may_invoke_the_function():
    permissions = resources_of("AWS::Lambda::Permission")
    assert len(permissions) == 1
    (permission,) = (p["Properties"] for p in permissions.values())
    assert permission == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Fn::GetAtt": ["SkillFunction", "Arn"]},
        "Principal": "alexa-appkit.amazon.com",
        "EventSourceToken": {"Ref": "SkillId"},
    }


def test_stack_outputs_the_endpoint_the_cli_writes_into_the_manifest():
    # The cfn-deployer looks for this output key by name after the stack is up.
    assert template()["Outputs"]["SkillEndpoint"]["Value"] == {"Fn::GetAtt": ["SkillFunction", "Arn"]}


# --- ask-resources.json -----------------------------------------------------------------------


def test_ask_resources_points_the_cli_at_the_built_outputs():
    config = resources_config()
    assert config["skillInfrastructure"]["type"] == "@ask-cli/cfn-deployer"
    assert ROOT / config["skillMetadata"]["src"] == build.SKILL_PACKAGE_DIR
    assert ROOT / config["code"]["default"]["src"] == build.BUILD_DIR / "lambda"
    assert (ROOT / user_config()["templatePath"]).resolve() == TEMPLATE
    # A hooks/build.sh would make the CLI run it instead of zipping build/lambda as it is.
    assert not (ROOT / "hooks" / "build.sh").exists()


def test_ask_resources_subscribes_to_the_same_events_as_the_manifest():
    subscriptions = [e["eventName"] for e in manifest()["manifest"]["events"]["subscriptions"]]
    assert subscriptions == ["SKILL_DISABLED"]
    assert user_config()["skillEvents"]["subscriptions"] == subscriptions


# --- skill.json -------------------------------------------------------------------------------


def deserialize_manifest(data: dict):
    return DefaultSerializer().deserialize(json.dumps(data), ENVELOPE_TYPE)


def test_manifest_survives_a_round_trip_through_the_smapi_model_unchanged():
    # The model drops keys it does not know and rejects unknown enum values, so an exact
    # round trip means every key is spelt as SMAPI expects.
    envelope = deserialize_manifest(manifest())
    assert DefaultSerializer().serialize(envelope) == manifest()
    body = envelope.manifest
    assert body.publishing_information.category == "HEALTH_AND_FITNESS"
    privacy = body.privacy_and_compliance
    assert (privacy.allows_purchases, privacy.is_child_directed, privacy.contains_ads) == (
        False,
        False,
        False,
    )
    assert privacy.uses_personal_info is True  # progress is kept per (hashed) user id
    assert [e.event_name.value for e in body.events.subscriptions] == ["SKILL_DISABLED"]
    interfaces = body.apis.custom.interfaces
    assert [i.object_type for i in interfaces] == ["ALEXA_PRESENTATION_APL"]
    assert interfaces[0].supported_viewports


def test_manifest_has_every_locale_of_the_interaction_model():
    from limber import interaction_model

    locales = set(interaction_model.locales())
    assert locales == {"en-US", "en-GB", "en-CA", "en-AU", "en-IN"}
    body = manifest()["manifest"]
    assert set(body["publishingInformation"]["locales"]) == locales
    assert set(body["privacyAndCompliance"]["locales"]) == locales
    countries = {locale.split("-")[1] for locale in locales}
    assert set(body["publishingInformation"]["distributionCountries"]) == countries


def all_keys(data) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for value in data.values() for k in all_keys(value)}
    if isinstance(data, list):
        return {k for item in data for k in all_keys(item)}
    return set()


def test_manifest_leaves_the_invocation_name_to_the_interaction_model():
    assert not {key for key in all_keys(manifest()) if "invocation" in key.lower()}


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"])
def test_store_listing_says_it_is_not_medical_advice(locale):
    listing = manifest()["manifest"]["publishingInformation"]["locales"][locale]
    assert listing["name"] == "Limber"
    assert 0 < len(listing["summary"]) <= 160
    assert "not medical advice" in listing["description"].lower()
    assert listing["keywords"]
    urls = manifest()["manifest"]["privacyAndCompliance"]["locales"][locale]
    assert all(url.startswith("https://") for url in urls.values())


def test_privacy_placeholders_are_documented_for_replacement():
    doc = DEPLOY_DOC.read_text(encoding="utf-8")
    for urls in manifest()["manifest"]["privacyAndCompliance"]["locales"].values():
        for url in urls.values():
            assert url in doc


# --- example phrases against the interaction model ---------------------------------------------


def normalise(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())


def slot_pattern(slot_type: str, types: dict[str, list[str]]) -> str:
    if slot_type in types:  # longest first; a type without values matches nothing
        values = sorted(types[slot_type], key=len, reverse=True)
        return "(?:" + "|".join(re.escape(v) for v in values) + ")" if values else "(?!)"
    if slot_type == "AMAZON.NUMBER":
        return r"(?:\d+|[a-z]+(?: [a-z]+)*)"
    return r".+"


def utterance_patterns(model: dict) -> list[tuple[str, re.Pattern]]:
    language = model["interactionModel"]["languageModel"]
    types = {
        t["name"]: [
            normalise(name)
            for value in t["values"]
            for name in (value["name"]["value"], *value["name"].get("synonyms", []))
        ]
        for t in language["types"]
    }
    patterns = []
    for intent in language["intents"]:
        slots = {s["name"]: s["type"] for s in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            pieces = []
            for i, part in enumerate(re.split(r"\{(\w+)\}", sample)):
                if i % 2:  # a slot name
                    pieces.append(slot_pattern(slots[part], types))
                else:
                    pieces += [re.escape(word) for word in normalise(part).split()]
            patterns.append((intent["name"], re.compile(" ".join(pieces))))
    return patterns


def phrase_intent(phrase: str, invocation: str, patterns) -> str | None:
    """The intent Alexa would route an example phrase to, judged from the model's samples."""
    text = normalise(phrase)
    if text in {f"alexa open {invocation}", f"alexa launch {invocation}"}:
        return "LaunchRequest"
    for prefix in (f"alexa ask {invocation} to ", f"alexa tell {invocation} to "):
        if text.startswith(prefix):
            text = text.removeprefix(prefix)
            break
    for intent, pattern in patterns:
        if pattern.fullmatch(text):
            return intent
    return None


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"])
def test_example_phrases_are_understood_by_the_locale_model(locale):
    from limber.interaction_model import build_model

    model = build_model(locale)
    invocation = model["interactionModel"]["languageModel"]["invocationName"]
    assert invocation == "limber coach"
    phrases = manifest()["manifest"]["publishingInformation"]["locales"][locale]["examplePhrases"]
    assert 1 <= len(phrases) <= 3
    assert phrases[0].startswith(f"Alexa, ask {invocation} to ") or phrases[0] == (
        f"Alexa, open {invocation}"
    )
    patterns = utterance_patterns(model)
    routed = {phrase: phrase_intent(phrase, invocation, patterns) for phrase in phrases}
    assert None not in routed.values(), routed
    assert routed[phrases[0]] in {"StartRoutineIntent", "LaunchRequest"}


def test_phrase_matcher_rejects_what_the_model_does_not_say():
    from limber.interaction_model import build_model

    patterns = utterance_patterns(build_model("en-US"))
    assert phrase_intent("Alexa, ask limber coach to start hips", "limber coach", patterns)
    assert phrase_intent("Alexa, ask limber coach to order a pizza", "limber coach", patterns) is None
    assert phrase_intent("Alexa, ask limber coach to start yoga", "limber coach", patterns) is None


# --- skill package ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def skill_package(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("skill-package")
    command = [sys.executable, str(ROOT / "scripts" / "build.py"), "--skip-lambda",
               "--skill-package-dir", str(out), "--no-endpoint"]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=300)
    return out


def test_skill_package_holds_the_manifest_and_one_model_per_locale(skill_package):
    from limber.interaction_model import build_model, locales, stale_models

    files = sorted(p.relative_to(skill_package).as_posix() for p in skill_package.rglob("*.json"))
    assert files == sorted(["skill.json", *(f"interactionModels/custom/{loc}.json" for loc in locales())])
    for locale in locales():
        written = json.loads((skill_package / f"interactionModels/custom/{locale}.json").read_text())
        assert written == build_model(locale)
    # Byte for byte what scripts/generate_models.py writes, so a build never makes the
    # committed models look stale.
    assert stale_models(skill_package / "interactionModels" / "custom") == []


def test_first_deploy_package_leaves_endpoints_to_the_cli(skill_package):
    packaged = json.loads((skill_package / "skill.json").read_text(encoding="utf-8"))
    assert "events" not in packaged["manifest"]
    assert "endpoint" not in packaged["manifest"]["apis"]["custom"]
    expected = json.loads(json.dumps(manifest()))
    del expected["manifest"]["events"]
    assert packaged == expected


def test_package_after_a_deploy_points_api_and_events_at_the_function(tmp_path, monkeypatch):
    arn = "arn:aws:lambda:us-east-1:123456789012:function:ask-Limber-default-SkillFunction-X"
    states = tmp_path / "ask-states.json"
    states.write_text(json.dumps({"profiles": {"default": {"skillInfrastructure": {
        "@ask-cli/cfn-deployer": {"deployState": {"default": {"outputs": [
            {"OutputKey": "ProgressTableName", "OutputValue": "limber-progress"},
            {"OutputKey": "SkillEndpoint", "OutputValue": arn},
        ]}}}}}}}))  # fmt: skip
    monkeypatch.setattr(build, "ASK_STATES", states)
    assert build.deployed_endpoint("default") == arn
    assert build.deployed_endpoint("other") is None
    packaged = build.packaged_manifest(manifest(), build.deployed_endpoint())
    body = deserialize_manifest(packaged).manifest
    assert body.apis.custom.endpoint.uri == arn
    assert body.events.endpoint.uri == arn
    assert [e.event_name.value for e in body.events.subscriptions] == ["SKILL_DISABLED"]


def test_build_refuses_a_manifest_missing_a_model_locale():
    partial = json.loads(json.dumps(manifest()))
    del partial["manifest"]["publishingInformation"]["locales"]["en-IN"]
    with pytest.raises(build.BuildError, match="en-IN"):
        build.check_manifest_locales(partial, ("en-US", "en-GB", "en-CA", "en-AU", "en-IN"))


# --- Lambda bundle ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def lambda_build(tmp_path_factory) -> Path:
    """The build dir after the real build command: lambda/ (what the CLI zips) and lambda.zip."""
    out = tmp_path_factory.mktemp("build")
    command = [sys.executable, str(ROOT / "scripts" / "build.py"), "--skip-package",
               "--build-dir", str(out)]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    return out


def zip_names(zip_path: Path) -> list[str]:
    with zipfile.ZipFile(zip_path) as archive:
        return archive.namelist()


def test_zip_is_the_folder_the_cli_uploads(lambda_build):
    folder = lambda_build / "lambda"
    on_disk = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert zip_names(lambda_build / "lambda.zip") == on_disk
    # No requirements.txt: the CLI must take its zip-only flow, not pip-install again.
    assert "requirements.txt" not in on_disk


def test_zip_holds_handler_package_content_and_runtime_dependencies(lambda_build):
    names = set(zip_names(lambda_build / "lambda.zip"))
    assert "lambda_function.py" in names
    assert "limber/__init__.py" in names and "limber/skill/builder.py" in names
    content = {p.relative_to(ROOT).as_posix() for p in (ROOT / "content").rglob("*.toml")}
    assert content and content <= names
    assert "ask_sdk_core/__init__.py" in names and "ask_sdk_model/__init__.py" in names


def test_zip_leaves_out_tests_caches_local_hosts_and_the_aws_sdk(lambda_build):
    names = zip_names(lambda_build / "lambda.zip")
    tops = {name.split("/", 1)[0] for name in names}
    assert not tops & {"tests", "boto3", "botocore", "s3transfer", "jmespath", "bin"}
    assert not any("__pycache__" in n or n.endswith((".pyc", ".so", ".pyd")) for n in names)
    assert not any(n.startswith(("limber/console/", "limber/web/")) for n in names)
    assert "limber/__main__.py" not in names  # `python -m limber` is the console


def test_bundled_dateutil_is_one_botocore_accepts(lambda_build):
    # The bundle is first on sys.path, so its dateutil is the one Lambda's botocore imports.
    names = zip_names(lambda_build / "lambda.zip")
    (info,) = {n.split("/")[0] for n in names if n.startswith("python_dateutil-")}
    version = info.removesuffix(".dist-info").split("-")[1]
    assert int(version.split(".")[0]) < 3


def test_zip_is_reproducible_and_world_readable(lambda_build, tmp_path):
    again = build.zip_folder(lambda_build / "lambda", tmp_path / "again.zip")
    assert again.read_bytes() == (lambda_build / "lambda.zip").read_bytes()
    with zipfile.ZipFile(again) as archive:
        assert {(i.external_attr >> 16) & 0o777 for i in archive.infolist()} == {0o644}


def test_zip_is_within_the_size_target(lambda_build):
    assert (lambda_build / "lambda.zip").stat().st_size <= BUNDLE_TARGET_BYTES


# --- the bundle, run as Lambda runs it ---------------------------------------------------------

SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-0000000000aa"
TABLE = "limber-progress"


def lambda_python() -> str:
    """A Python 3.12 interpreter like Lambda's, when this machine has one; else this one."""
    candidates = [os.environ.get("LIMBER_LAMBDA_PYTHON"), shutil.which("python3.12")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.12*/bin/python3.12")))
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys; print(sys.version_info[:2])"],
                               capture_output=True, text=True, check=False)  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == "(3, 12)":
            return candidate
    return sys.executable


def aws_client(service: str, url: str, key: str = "testing", secret: str = "testing"):
    import boto3

    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id=key, aws_secret_access_key=secret)  # fmt: skip


def set_moto_auth(url: str, free_requests: float) -> None:
    """After ``free_requests`` more requests moto checks every caller's IAM policy ("inf": never)."""
    import requests

    answer = requests.post(f"{url}/moto-api/reset-auth", data=str(free_requests), timeout=10)
    answer.raise_for_status()


@pytest.fixture(scope="module")
def dynamodb_server():
    """A moto server on 127.0.0.1 (tests/dynamo_server.py); yields its URL."""
    server = MotoServer()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="module")
def function_credentials(dynamodb_server) -> dict[str, str]:
    """The table as the template defines it, and keys for a user holding only the role's actions.

    moto checks the action of each DynamoDB request but evaluates it against resource "*", so
    this policy names "*"; the template tests above check that the role names the table's ARN.
    """
    table_spec = resource("ProgressTable", "AWS::DynamoDB::Table")
    aws_client("dynamodb", dynamodb_server).create_table(
        TableName=TABLE,
        KeySchema=table_spec["KeySchema"],
        AttributeDefinitions=table_spec["AttributeDefinitions"],
        BillingMode=table_spec["BillingMode"],
    )
    iam = aws_client("iam", dynamodb_server)
    iam.create_user(UserName="limber-function")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": sorted(TABLE_ACTIONS), "Resource": "*"}]}  # fmt: skip
    iam.put_user_policy(UserName="limber-function", PolicyName="limber",
                        PolicyDocument=json.dumps(policy))  # fmt: skip
    key = iam.create_access_key(UserName="limber-function")["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


@pytest.fixture(scope="module")
def lambda_runtime(lambda_build, dynamodb_server, function_credentials, tmp_path_factory):
    """(python, task folder, environment): the zip unpacked into an empty folder, as Lambda's
    /var/task, and a fresh virtual environment holding only boto3, as Lambda's runtime does."""
    root = tmp_path_factory.mktemp("lambda")
    task = root / "var-task"
    task.mkdir()
    with zipfile.ZipFile(lambda_build / "lambda.zip") as archive:
        archive.extractall(task)
    venv = root / "runtime"
    subprocess.run([lambda_python(), "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "boto3"], check=True, timeout=600)  # fmt: skip
    template_variables = resource("SkillFunction", "AWS::Lambda::Function")["Environment"]["Variables"]
    env = {
        **{name: value for name, value in template_variables.items() if isinstance(value, str)},
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(task),  # Lambda puts /var/task first on sys.path
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only: no .pyc cache
        **{k: v for k, v in FAKE_AWS_ENV.items() if k.startswith(("AWS_CONFIG", "AWS_SHARED", "AWS_EC2"))},
        "LIMBER_STORE": f"dynamodb:{TABLE}",
        "LIMBER_SKILL_ID": SKILL_ID,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_DYNAMODB": dynamodb_server,
        **function_credentials,
    }
    return python, task, env


# Runs a conversation through lambda_handler, carrying session attributes from turn to turn
# as Alexa does, and prints one JSON response per line.
LAMBDA_INVOKER = """
import json, sys
import lambda_function
attributes = {}
for event in json.load(sys.stdin):
    if "session" in event:
        event["session"]["attributes"] = attributes
    response = lambda_function.lambda_handler(event, None)
    attributes = response.get("sessionAttributes") or {}
    print(json.dumps(response))
"""


def run_conversation(lambda_runtime, server_url: str, events: list[dict]) -> list[dict]:
    python, task, env = lambda_runtime
    set_moto_auth(server_url, 0)  # the function's requests are checked against its policy
    try:
        result = subprocess.run(
            [str(python), "-c", LAMBDA_INVOKER], cwd=task, env=env, input=json.dumps(events),
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        set_moto_auth(server_url, float("inf"))
    assert result.returncode == 0, result.stderr
    assert "AccessDenied" not in result.stderr, result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert "Warning" not in result.stderr, result.stderr  # nothing to clutter the function's log
    return [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]


def alexa_event(user_id: str, request: dict, *, new_session: bool | None = None) -> dict:
    application = {"applicationId": SKILL_ID}
    user = {"userId": user_id}
    event = {
        "version": "1.0",
        "context": {"System": {"application": application, "user": user,
                               "device": {"deviceId": "amzn1.ask.device.bundle-test",
                                          "supportedInterfaces": {}},
                               "apiEndpoint": "https://127.0.0.1:9"}},
        "request": {"requestId": f"amzn1.echo-api.request.{request['type']}",
                    "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "locale": "en-US", **request},
    }  # fmt: skip
    if new_session is not None:  # skill events arrive outside any session
        event["session"] = {"new": new_session, "sessionId": "amzn1.echo-api.session.bundle-test",
                            "application": application, "user": user, "attributes": {}}  # fmt: skip
    return event


def start_routine_request(routine_id: str, spoken: str) -> dict:
    resolution = {"authority": f"amzn1.er-authority.echo-sdk.{SKILL_ID}.RoutineName",
                  "status": {"code": "ER_SUCCESS_MATCH"},
                  "values": [{"value": {"name": spoken, "id": routine_id}}]}  # fmt: skip
    slot = {"name": "routine", "value": spoken, "confirmationStatus": "NONE",
            "resolutions": {"resolutionsPerAuthority": [resolution]}}  # fmt: skip
    return {"type": "IntentRequest", "dialogState": "COMPLETED",
            "intent": {"name": "StartRoutineIntent", "confirmationStatus": "NONE",
                       "slots": {"routine": slot}}}  # fmt: skip


def stored_item(server_url: str, user_id: str) -> dict | None:
    """The progress item for a user, read as an administrator (keyed by SHA-256 of the id)."""
    key = hashlib.sha256(user_id.encode("utf-8")).hexdigest()
    answer = aws_client("dynamodb", server_url).get_item(TableName=TABLE, Key={"id": {"S": key}})
    return answer.get("Item")


def spoken(response: dict) -> str:
    speech = response["response"]["outputSpeech"]
    return speech.get("ssml") or speech.get("text") or ""


@pytest.mark.slow
def test_every_bundled_module_imports_with_only_boto3_installed(lambda_runtime):
    python, task, env = lambda_runtime
    walk = ("import pkgutil, importlib, limber\n"
            "for m in pkgutil.walk_packages(limber.__path__, 'limber.'):\n"
            "    importlib.import_module(m.name)\n"
            "import lambda_function\n")  # fmt: skip
    result = subprocess.run([str(python), "-c", walk], cwd=task, env=env,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_bundle_answers_a_launch_and_keeps_progress_under_the_template_permissions(
    lambda_runtime, dynamodb_server
):
    user = "amzn1.ask.account.BUNDLE-PROGRESS"
    launch, start = run_conversation(lambda_runtime, dynamodb_server, [
        alexa_event(user, {"type": "LaunchRequest"}, new_session=True),
        alexa_event(user, start_routine_request("hip_flexors", "hip flexors"), new_session=False),
    ])  # fmt: skip
    assert spoken(launch).strip()
    assert launch["response"]["shouldEndSession"] is False
    assert "resume" not in spoken(launch).lower()
    assert "Stretch 1 of" in spoken(start)
    item = stored_item(dynamodb_server, user)
    assert item is not None, "starting a routine should save the user's place"
    # The adapter writes the attribute the table's TTL reads, as epoch seconds in the future.
    ttl_attribute = resource("ProgressTable", "AWS::DynamoDB::Table")["TimeToLiveSpecification"]
    assert int(item[ttl_attribute["AttributeName"]]["N"]) > time.time()
    assert user not in json.dumps(item)  # only the hash of the user id is stored
    # A new process is a cold container: it can only know the user's place by reading the table.
    (reopened,) = run_conversation(lambda_runtime, dynamodb_server, [
        alexa_event(user, {"type": "LaunchRequest"}, new_session=True),
    ])  # fmt: skip
    assert "resume" in spoken(reopened).lower()


@pytest.mark.slow
def test_bundle_forgets_a_user_when_the_skill_is_disabled(lambda_runtime, dynamodb_server):
    user = "amzn1.ask.account.BUNDLE-DISABLED"
    run_conversation(lambda_runtime, dynamodb_server, [
        alexa_event(user, {"type": "LaunchRequest"}, new_session=True),
        alexa_event(user, start_routine_request("hip_flexors", "hip flexors"), new_session=False),
    ])  # fmt: skip
    assert stored_item(dynamodb_server, user) is not None
    disabled = {"type": "AlexaSkillEvent.SkillDisabled",
                "eventCreationTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "eventPublishingTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "body": {"userInformationPersistenceStatus": "NOT_PERSISTED"}}  # fmt: skip
    run_conversation(lambda_runtime, dynamodb_server, [alexa_event(user, disabled)])
    assert stored_item(dynamodb_server, user) is None
