"""The deployment: CloudFormation template, skill manifest, skill package, Lambda bundle, set-up.

Fast checks read the files the ASK CLI deploys. The template is also deployed, with the
parameters the CLI passes, to a moto server on 127.0.0.1 (CloudFormation, S3, Lambda, IAM
and DynamoDB over HTTP). The Lambda bundle is built once per session with the real build
command (pip fetches the pure-Python wheels). The slow tests run that bundle the way Lambda
does: unpacked into an empty folder, in a fresh virtual environment that holds only boto3,
with the environment the deployed stack gave the function, against the table the stack
created, on a moto server that refuses any action the stack's role does not grant.
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
import urllib.parse
import zipfile
from pathlib import Path

import pytest
from ask_sdk_model_runtime import DefaultSerializer
from cfnlint.decode import cfn_yaml
from PIL import Image

from dynamo_server import FAKE_AWS_ENV, MotoServer

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "infrastructure" / "cfn-deployer" / "skill-stack.yaml"
SKILL_JSON = ROOT / "skill.json"
ASK_RESOURCES = ROOT / "ask-resources.json"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
README = ROOT / "README.md"
PRIVACY_POLICY = ROOT / "docs" / "privacy-policy.md"
TERMS_OF_USE = ROOT / "docs" / "terms-of-use.md"
LOCALES = ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"]
ENVELOPE_TYPE = "ask_smapi_model.v1.skill.manifest.skill_manifest_envelope.SkillManifestEnvelope"
# Passed by @ask-cli/cfn-deployer on every deploy (lib/builtins/deploy-delegates/cfn-deployer).
CLI_PARAMETERS = {"SkillId", "LambdaRuntime", "LambdaHandler", "CodeBucket", "CodeKey", "CodeVersion"}
CLI_RESERVED_PARAMETERS = CLI_PARAMETERS | {"SkillClientId", "SkillClientSecret"}
LOG_ACTIONS = {"logs:CreateLogStream", "logs:PutLogEvents"}
LAMBDA_ZIP_LIMIT_BYTES = 50 * 1024 * 1024  # a zip uploaded for a function
LAMBDA_UNZIPPED_LIMIT_BYTES = 250 * 1024 * 1024


import build  # noqa: E402  scripts/ is on pytest's path (pyproject)
import icons  # noqa: E402


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
    ours = user_config().get("cfn", {}).get("parameters", {})
    assert not set(ours) & CLI_RESERVED_PARAMETERS  # the CLI refuses these names
    for name, spec in parameters.items():
        assert name in CLI_PARAMETERS or name in ours or "Default" in spec, name
    assert set(ours) <= set(parameters)
    assert all(isinstance(value, str) for value in ours.values())  # CloudFormation takes strings


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


def test_progress_table_is_on_demand_encrypted_recoverable_and_expiring():
    table = resource("ProgressTable", "AWS::DynamoDB::Table")
    assert table["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert table["AttributeDefinitions"] == [{"AttributeName": "id", "AttributeType": "S"}]
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert table["SSESpecification"] == {"SSEEnabled": True}
    assert len(resources_of("AWS::DynamoDB::Table")) == 1


def test_table_name_comes_from_the_stack_not_a_fixed_name():
    assert resource("ProgressTable", "AWS::DynamoDB::Table")["TableName"] == {
        "Fn::Sub": "${AWS::StackName}-progress"
    }
    assert "limber-progress" not in TEMPLATE.read_text(encoding="utf-8")
    assert "limber-progress" not in ASK_RESOURCES.read_text(encoding="utf-8")


def test_progress_outlives_the_stack_but_a_failed_first_create_rolls_back_cleanly():
    # `ask deploy` polls the stack until its status ends in _COMPLETE (cfn-deployer helper.js,
    # _waitForStackDeploy). A rollback that cannot delete a resource ends in ROLLBACK_FAILED,
    # and the CLI waits for ever; a deletion-protected table is such a resource. So nothing
    # the stack creates may be protected from deletion on the rollback of its first create...
    for logical_id, spec in template()["Resources"].items():
        policy = spec.get("DeletionPolicy", "Delete")
        if policy in {"Delete", "RetainExceptOnCreate"}:  # deleted when a first create rolls back
            assert spec["Properties"].get("DeletionProtectionEnabled", False) is False, logical_id
    # ... while the table, once created, survives a stack delete and a replacing update.
    table = template()["Resources"]["ProgressTable"]
    assert table["DeletionPolicy"] == "RetainExceptOnCreate"
    assert table["UpdateReplacePolicy"] == "Retain"


def test_reserved_concurrency_is_a_parameter_that_is_off_by_default():
    parameter = template()["Parameters"]["ReservedConcurrency"]
    assert (parameter["Type"], parameter["Default"], parameter["MinValue"]) == ("Number", 0, 0)
    assert template()["Conditions"]["ReservesConcurrency"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "ReservedConcurrency"}, 0]}]
    }
    function = resource("SkillFunction", "AWS::Lambda::Function")
    assert function["ReservedConcurrentExecutions"] == {
        "Fn::If": ["ReservesConcurrency", {"Ref": "ReservedConcurrency"}, {"Ref": "AWS::NoValue"}]
    }
    assert user_config()["cfn"]["parameters"]["ReservedConcurrency"] == "0"


def dynamodb_operations_in_code() -> dict[str, str]:
    """{IAM action: where}, for every DynamoDB client operation named in a module using boto3.

    An operation counts wherever its client method name appears in such a module: called as
    an attribute (``client.get_item(...)``) or passed as a string (``self._call("get_item")``).
    botocore's own service model maps method names to API (and so IAM action) names.
    """
    import boto3

    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x",
                          aws_secret_access_key="x")  # fmt: skip
    methods = client.meta.method_to_api_mapping  # e.g. "get_item" -> "GetItem"
    found = {}
    for path in sorted((ROOT / "lambda" / "limber").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
        }
        if not imported & {"boto3", "botocore"}:
            continue
        for node in ast.walk(tree):
            name = node.attr if isinstance(node, ast.Attribute) else getattr(node, "value", None)
            if isinstance(name, str) and name in methods:
                found[f"dynamodb:{methods[name]}"] = f"{path.relative_to(ROOT)}:{node.lineno}"
    return found


def test_code_scan_finds_the_adapter_calls():
    # The scan itself: the adapter reads, writes and deletes, so these three must be found.
    found = dynamodb_operations_in_code()
    assert {"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"} <= set(found), found
    assert all(where.startswith("lambda/limber/storage/") for where in found.values()), found


def role_table_actions() -> set[str]:
    role = resource("SkillRole", "AWS::IAM::Role")
    statements = [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]
    on_table = [s for s in statements if s["Resource"] == {"Fn::GetAtt": ["ProgressTable", "Arn"]}]
    return {a for s in on_table for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def test_role_grants_exactly_the_table_calls_the_code_makes_and_logging_to_its_own_group():
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
        json.dumps({"Fn::GetAtt": ["ProgressTable", "Arn"]}): set(dynamodb_operations_in_code()),
        json.dumps({"Fn::GetAtt": ["SkillLogGroup", "Arn"]}): LOG_ACTIONS,
    }
    assert len(resources_of("AWS::IAM::Role")) == 1
    assert not resources_of("AWS::IAM::Policy") and not resources_of("AWS::IAM::ManagedPolicy")


def test_deploy_doc_lists_the_granted_table_actions():
    documented = set(re.findall(r"dynamodb:\w+", DEPLOY_DOC.read_text(encoding="utf-8")))
    assert documented == role_table_actions()


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


DISCLAIMER = "not a substitute for professional medical advice"


def sentences(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"(?<=[.;:!?])\s+", text) if part.strip()]


@pytest.mark.parametrize("locale", LOCALES)
def test_store_listing_says_it_is_not_a_substitute_for_professional_medical_advice(locale):
    listing = manifest()["manifest"]["publishingInformation"]["locales"][locale]
    assert listing["name"] == "Limber"
    assert 0 < len(listing["summary"]) <= 160
    assert len(listing["description"]) <= 4000
    assert DISCLAIMER in listing["description"]
    assert DISCLAIMER in listing["summary"].lower()
    assert listing["keywords"]


@pytest.mark.parametrize("locale", LOCALES)
def test_store_listing_promises_no_emergency_judgement(locale):
    # Limber may route someone towards help, but the listing must not promise to tell them
    # whether to call an emergency number; it tells them to call if they think it is one.
    listing = manifest()["manifest"]["publishingInformation"]["locales"][locale]
    text = listing["summary"] + " " + listing["description"]
    mentions = [s for s in sentences(text) if "emergenc" in s.lower()]
    assert mentions
    for sentence in mentions:
        promise = re.search(r"\b(whether|tells?|decides?|will|lets? you know)\b", sentence, re.I)
        assert not promise or re.search(r"\bcannot\b|\bcan't\b", sentence), sentence
    assert "If you think you may have an emergency, call your local emergency number." in text
    assert not re.search(r"sav(e|es|ing) (your )?li(fe|ves)", text, re.I)


def test_the_disclaimer_check_catches_the_old_promise():
    old = ("If you ask whether something is dangerous, Limber asks a few safety questions and tells "
           "you whether to call your local emergency number, get urgent care, see a doctor.")  # fmt: skip
    mentions = [s for s in sentences(old) if "emergenc" in s.lower()]
    assert re.search(r"\b(whether|tells?)\b", mentions[0]) and "cannot" not in mentions[0]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_names_both_store_icons_in_the_package(locale):
    listing = manifest()["manifest"]["publishingInformation"]["locales"][locale]
    sizes = {"smallIconUri": 108, "largeIconUri": 512}
    for key, size in sizes.items():
        uri = listing[key]
        assert uri.startswith("file://assets/images/"), uri
        path = build.SKILL_PACKAGE_DIR / uri.removeprefix("file://")
        with Image.open(path) as image:
            assert (image.format, image.size) == ("PNG", (size, size))
            assert image.mode in {"RGB", "RGBA"}


def test_icons_are_what_the_drawing_script_draws(tmp_path):
    # Redrawn from scripts/icons.py and compared pixel by pixel with the committed files.
    assert icons.differing_icons() == []
    written = icons.write_icons(tmp_path)
    assert [p.name for p in written] == [name for name, _ in icons.ICONS.values()]
    for path in written:
        with Image.open(path) as drawn, Image.open(icons.ICON_DIR / path.name) as committed:
            assert drawn.convert("RGB").tobytes() == committed.convert("RGB").tobytes()


def test_icon_check_notices_a_changed_icon(tmp_path):
    icons.write_icons(tmp_path)
    small = tmp_path / icons.ICONS["small"][0]
    with Image.open(small) as image:
        changed = image.convert("RGB")
    changed.putpixel((54, 54), (255, 0, 0))
    changed.save(small)
    assert icons.differing_icons(tmp_path) == [small]


def test_icon_is_a_figure_inside_the_circle_the_store_crops_to():
    with Image.open(icons.icon_path("large")) as image:
        pixels = image.convert("RGB")
    white = [(x, y) for x in range(0, 512, 4) for y in range(0, 512, 4) if min(pixels.getpixel((x, y))) > 240]
    assert len(white) > 200  # the figure is drawn
    assert all((x - 256) ** 2 + (y - 256) ** 2 < 240**2 for x, y in white)  # and stays in the circle


def front_matter(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n"), path
    block = text.split("---\n", 2)[1]
    return dict(line.split(": ", 1) for line in block.splitlines() if line)


def test_policy_urls_point_at_the_published_docs_pages():
    # docs/ is published as a site (README "Deploying"); each policy page fixes its own address
    # with a permalink, and every locale points at the same base plus that address.
    pages = {"privacyPolicyUrl": PRIVACY_POLICY, "termsOfUseUrl": TERMS_OF_USE}
    bases = set()
    for locale in LOCALES:
        urls = manifest()["manifest"]["privacyAndCompliance"]["locales"][locale]
        assert set(urls) == set(pages)
        for key, page in pages.items():
            permalink = front_matter(page)["permalink"]
            assert urls[key].endswith(permalink), (locale, key)
            bases.add(urls[key].removesuffix(permalink.lstrip("/")))
    (base,) = bases
    assert base.startswith("https://") and base.endswith("/")
    assert build.policy_urls(base) == manifest()["manifest"]["privacyAndCompliance"]["locales"]["en-US"]


def test_readme_and_deploy_doc_say_where_the_policies_are_published():
    base = build.PLACEHOLDER_DOCS_URL
    for doc in (README, DEPLOY_DOC):
        text = " ".join(doc.read_text(encoding="utf-8").split())
        assert "GitHub Pages" in text and "--docs-url" in text, doc
        assert "privacy-policy.html" in text and "terms-of-use.html" in text, doc
    assert base in DEPLOY_DOC.read_text(encoding="utf-8")


def test_docs_url_rewrites_every_locale_and_the_placeholder_is_reported(tmp_path):
    copy = tmp_path / "skill.json"
    shutil.copy(SKILL_JSON, copy)
    placeholder_gaps = build.certification_gaps(json.loads(copy.read_text()))
    assert any("--docs-url" in gap for gap in placeholder_gaps) == (
        build.PLACEHOLDER_DOCS_URL in SKILL_JSON.read_text(encoding="utf-8")
    )
    build.set_docs_url("https://limber-owner.github.io/limber", copy)
    rewritten = json.loads(copy.read_text())
    for urls in rewritten["manifest"]["privacyAndCompliance"]["locales"].values():
        assert urls == {
            "privacyPolicyUrl": "https://limber-owner.github.io/limber/privacy-policy.html",
            "termsOfUseUrl": "https://limber-owner.github.io/limber/terms-of-use.html",
        }
    assert not any("--docs-url" in gap for gap in build.certification_gaps(rewritten))
    assert deserialize_manifest(rewritten)  # still a valid manifest
    with pytest.raises(build.BuildError, match="https"):
        build.set_docs_url("http://limber-owner.github.io/limber/", copy)


def test_policies_say_what_the_deployment_does_with_the_data():
    policy = " ".join(PRIVACY_POLICY.read_text(encoding="utf-8").split())
    table = resource("ProgressTable", "AWS::DynamoDB::Table")
    retention = resource("SkillLogGroup", "AWS::Logs::LogGroup")["RetentionInDays"]
    # Point-in-time recovery keeps 35 days of backups that deleting a record does not reach.
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    assert "point-in-time recovery" in policy and "35 days" in policy
    assert "does not remove it from these backups" in policy
    assert f"deleted after {retention} days" in policy
    assert "13 months" in policy and "SHA-256" in policy
    assert "delete my data" in policy.lower() and "disable the skill" in policy
    assert "never stored" in policy  # screening answers
    terms = " ".join(TERMS_OF_USE.read_text(encoding="utf-8").split())
    assert DISCLAIMER in terms and "call your local emergency number" in terms
    for locale in LOCALES:
        description = manifest()["manifest"]["publishingInformation"]["locales"][locale]["description"]
        assert "35 days" in description and "13 months" in description and "delete my data" in description


def test_policy_ttl_matches_the_adapter():
    from limber.storage import dynamodb

    months = dynamodb.TTL_SECONDS / (365.25 / 12 * 24 * 3600)
    assert round(months) == 13


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
    assert not any(n.endswith((".so", ".pyd", ".pyo")) for n in names)
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


def test_zip_is_within_lambdas_limits(lambda_build):
    with zipfile.ZipFile(lambda_build / "lambda.zip") as archive:
        unzipped = sum(info.file_size for info in archive.infolist())
    assert (lambda_build / "lambda.zip").stat().st_size <= LAMBDA_ZIP_LIMIT_BYTES
    assert unzipped <= LAMBDA_UNZIPPED_LIMIT_BYTES


def test_every_module_has_bytecode_for_the_runtime_version_and_nothing_else(lambda_build):
    tag = "cpython-" + build.lambda_python_version().replace(".", "")

    def cached(source: str) -> str:  # "a/b.py" -> "a/__pycache__/b.cpython-312.pyc"
        folder, _, file = source.rpartition("/")
        return f"{folder + '/' if folder else ''}__pycache__/{file.removesuffix('.py')}.{tag}.pyc"

    names = set(zip_names(lambda_build / "lambda.zip"))
    sources = {n for n in names if n.endswith(".py")}
    assert "lambda_function.py" in sources
    assert {n for n in names if n.endswith(".pyc")} == {cached(n) for n in sources}


# Counts the modules Python compiles from source while importing the bundle's handler.
COMPILE_COUNTER = """
import importlib.machinery, json, sys
compiled = []
original = importlib.machinery.SourceFileLoader.source_to_code
def counting(self, data, path, *args, **kwargs):
    compiled.append(path)
    return original(self, data, path, *args, **kwargs)
importlib.machinery.SourceFileLoader.source_to_code = counting
import lambda_function
loaded = [m.__spec__.cached for m in list(sys.modules.values())
          if getattr(m, "__spec__", None) and (m.__spec__.origin or "").startswith(sys.argv[1])]
print(json.dumps({"compiled": compiled, "loaded": loaded}))
"""


def test_bundle_imports_from_its_bytecode_without_compiling(lambda_build):
    python = build.runtime_python(build.lambda_python_version())
    folder = str(lambda_build / "lambda")
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": folder, "PYTHONDONTWRITEBYTECODE": "1",
           "LIMBER_STORE": "memory"}  # fmt: skip
    result = subprocess.run([python, "-S", "-c", COMPILE_COUNTER, folder], cwd=folder, env=env,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["compiled"] == []
    assert len(figures["loaded"]) > 50  # limber, ask_sdk_core, ask_sdk_model, ...
    # Unchecked-hash pycs: flags word 1 (hash-based, source not checked), no timestamps.
    for cached in figures["loaded"]:
        header = Path(cached).read_bytes()[:16]
        assert int.from_bytes(header[4:8], "little") == 1, cached


def test_bytecode_names_the_paths_lambda_will_have(lambda_build):
    python = build.runtime_python(build.lambda_python_version())
    pyc = lambda_build / "lambda" / "limber" / "skill" / "__pycache__" / "builder.cpython-312.pyc"
    show = "import marshal, sys; print(marshal.loads(open(sys.argv[1], 'rb').read()[16:]).co_filename)"
    result = subprocess.run([python, "-c", show, str(pyc)], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "/var/task/limber/skill/builder.py"


# Answers a launch through the handler, then says where each kind of content came from.
CONTENT_SOURCES = """
import json, time
import lambda_function
from limber.core import compiled, content, pain_education
from limber.core.hearing import lexicon
from limber.core.triage import rules
app, who = {"applicationId": "amzn1.ask.skill.x"}, {"userId": "amzn1.ask.account.x"}
event = {"version": "1.0", "session": {"new": True, "sessionId": "s", "application": app, "user": who},
         "context": {"System": {"application": app, "user": who, "device": {"deviceId": "d"}}},
         "request": {"type": "LaunchRequest", "requestId": "r", "locale": "en-US",
                     "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}}
speech = lambda_function.lambda_handler(event, None)["response"]["outputSpeech"]["ssml"]
launch = compiled.source("library")
rules.default_rules(), lexicon.default_lexicon(), pain_education.default_topics()
pain_education.hold_lines()
print(json.dumps({"speech": speech, "launch": launch, **{k: compiled.source(k) for k in compiled.KINDS}}))
"""


def test_bundle_uses_its_precompiled_content_on_the_runtime_python(lambda_build):
    python = build.runtime_python(build.lambda_python_version())
    folder = lambda_build / "lambda"
    assert (folder / "content" / "precompiled.pickle").is_file()
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(folder), "PYTHONDONTWRITEBYTECODE": "1",
           "LIMBER_STORE": "memory"}  # fmt: skip
    result = subprocess.run([python, "-S", "-c", CONTENT_SOURCES], cwd=folder, env=env,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures.pop("speech").startswith("<speak>")
    assert set(figures.values()) == {"precompiled"}, figures


DATACLASS_COUNTS = """
import importlib, json, pkgutil
import gc
import lambda_function
from limber import dataclass_cache
at_import = {"hits": dataclass_cache.hits, "misses": dataclass_cache.misses,
             "gc_on": gc.isenabled(), "frozen": gc.get_freeze_count()}
import limber.core, limber.skill
for package in (limber.core, limber.skill):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(module.name)
print(json.dumps({"at_import": at_import, "all": {"hits": dataclass_cache.hits,
                                                   "misses": dataclass_cache.misses}}))
"""


def test_bundle_defines_its_dataclasses_from_build_time_code_and_freezes_init(lambda_build):
    python = build.runtime_python(build.lambda_python_version())
    folder = lambda_build / "lambda"
    assert (folder / "limber" / "dataclass_methods.cpython-312.marshal").is_file()
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(folder), "PYTHONDONTWRITEBYTECODE": "1",
           "LIMBER_STORE": "memory"}  # fmt: skip
    result = subprocess.run([python, "-S", "-c", DATACLASS_COUNTS], cwd=folder, env=env,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    counts = json.loads(result.stdout)
    assert counts["at_import"]["hits"] > 50 and counts["at_import"]["misses"] == 0
    # Init ran with the collector paused; its objects were frozen and the collector is back on.
    assert counts["at_import"]["gc_on"] and counts["at_import"]["frozen"] > 10_000
    assert counts["all"]["hits"] > counts["at_import"]["hits"] and counts["all"]["misses"] == 0


def test_bundle_bench_runs_the_built_bundle_on_a_read_only_mount(lambda_build):
    # bench/bundle.py's runner, once each way: the figures it reports come from a bundle that
    # answered, on a mount it could not write to.
    sys.path.insert(0, str(ROOT / "bench"))
    import bundle as bench

    python = build.runtime_python(build.lambda_python_version())
    variant = bench.Variant(lambda_build / "lambda")
    for as_lambda in (False, True):
        figures = bench.run_read_only(variant, python, as_lambda, rounds=2)
        assert figures["last_step"].startswith("<speak>Stretch ")
        assert 0 < figures["import_ms"] < figures["cold_ms"] < figures["process_ms"]
        assert figures["launch_us"] > 0 and figures["step_us"] > 0 and figures["max_rss_mb"] > 5
    assert not (lambda_build / "lambda" / ".probe").exists()


def test_build_stops_with_a_clear_message_without_the_runtime_python(tmp_path, monkeypatch):
    monkeypatch.delenv("LIMBER_LAMBDA_PYTHON", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no python3.12 on it
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    with pytest.raises(build.BuildError, match=r"Python 3\.12.*LIMBER_LAMBDA_PYTHON"):
        build.build_lambda(tmp_path / "build")
    assert not (tmp_path / "build").exists()  # stopped before building anything


# --- the stack, deployed to a local CloudFormation (moto) ----------------------------------------

SKILL_ID = "amzn1.ask.skill.00000000-0000-4000-8000-0000000000aa"
EMPTY_ZIP = b"PK\x05\x06" + b"\x00" * 18  # enough for CloudFormation to create the function


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
    """A moto server on 127.0.0.1 (tests/dynamo_server.py), every service; yields its URL."""
    server = MotoServer()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def deploy_stack(url: str, stack_name: str, code: bytes, **parameters: str) -> dict:
    """What @ask-cli/cfn-deployer does: a versioned bucket, the zip uploaded to
    ``endpoint/build.zip``, then create-stack with the CLI's parameters and ours from
    ask-resources.json. Returns {"outputs", "function", "role_policy"} of the created stack."""
    s3 = aws_client("s3", url)
    bucket = "ask-limber-default-useast1-1764633600000"
    if bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}:
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    version = s3.put_object(Bucket=bucket, Key="endpoint/build.zip", Body=code)["VersionId"]
    values = {
        "SkillId": SKILL_ID,
        "LambdaRuntime": user_config()["runtime"],
        "LambdaHandler": user_config()["handler"],
        "CodeBucket": bucket,
        "CodeKey": "endpoint/build.zip",
        "CodeVersion": version,
        **user_config()["cfn"]["parameters"],
        **parameters,
    }
    cloudformation = aws_client("cloudformation", url)
    cloudformation.create_stack(
        StackName=stack_name,
        TemplateBody=TEMPLATE.read_text(encoding="utf-8"),
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()],
        Capabilities=["CAPABILITY_IAM"],
    )
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack.get("StackStatusReason")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    function = aws_client("lambda", url).get_function(FunctionName=outputs["SkillEndpoint"])
    physical = {r["LogicalResourceId"]: r.get("PhysicalResourceId") for r in
                cloudformation.describe_stack_resources(StackName=stack_name)["StackResources"]}  # fmt: skip
    iam = aws_client("iam", url)
    (policy_name,) = iam.list_role_policies(RoleName=physical["SkillRole"])["PolicyNames"]
    document = iam.get_role_policy(RoleName=physical["SkillRole"], PolicyName=policy_name)["PolicyDocument"]
    if isinstance(document, str):  # moto keeps a policy CloudFormation made as a Python repr
        document = ast.literal_eval(urllib.parse.unquote(document))
    return {"outputs": outputs, "function": function, "role_policy": document}


def test_two_stacks_in_one_account_each_get_their_own_table(dynamodb_server):
    first = deploy_stack(dynamodb_server, "ask-Limber-default-skillStack-1", EMPTY_ZIP)
    second = deploy_stack(dynamodb_server, "ask-Limber-default-skillStack-2", EMPTY_ZIP)
    tables = set(aws_client("dynamodb", dynamodb_server).list_tables()["TableNames"])
    for name, stack in (("1", first), ("2", second)):
        table = f"ask-Limber-default-skillStack-{name}-progress"
        assert table in tables
        assert stack["outputs"]["ProgressTableName"] == table
        variables = stack["function"]["Configuration"]["Environment"]["Variables"]
        assert variables["LIMBER_STORE"] == f"dynamodb:{table}"
        assert variables["LIMBER_SKILL_ID"] == SKILL_ID


def test_reserved_concurrency_reaches_the_function_only_when_asked(dynamodb_server):
    default = deploy_stack(dynamodb_server, "ask-Limber-default-skillStack-3", EMPTY_ZIP)
    assert "Concurrency" not in default["function"]  # nothing reserved
    reserved = deploy_stack(dynamodb_server, "ask-Limber-default-skillStack-4", EMPTY_ZIP,
                            ReservedConcurrency="20")  # fmt: skip
    assert reserved["function"]["Concurrency"] == {"ReservedConcurrentExecutions": 20}


def test_deployed_role_grants_the_table_calls_on_its_own_table_only(dynamodb_server):
    stack = deploy_stack(dynamodb_server, "ask-Limber-default-skillStack-5", EMPTY_ZIP)
    table = stack["outputs"]["ProgressTableName"]
    arn = aws_client("dynamodb", dynamodb_server).describe_table(TableName=table)["Table"]["TableArn"]
    (on_table,) = [s for s in stack["role_policy"]["Statement"] if s["Resource"] == arn]
    assert set(on_table["Action"]) == set(dynamodb_operations_in_code())


# --- the bundle, run as Lambda runs it ---------------------------------------------------------


@pytest.fixture(scope="module")
def deployed(lambda_build, dynamodb_server) -> dict:
    """The stack deployed with the real bundle, as `ask deploy` would on a first deploy."""
    code = (lambda_build / "lambda.zip").read_bytes()
    return deploy_stack(dynamodb_server, "ask-Limber-default-skillStack-1764633600000", code)


@pytest.fixture(scope="module")
def function_credentials(dynamodb_server, deployed) -> dict[str, str]:
    """Keys for a user holding only the DynamoDB actions the deployed role was given.

    moto checks the action of each DynamoDB request but evaluates it against resource "*", so
    this policy names "*"; the tests above check that the role names the table's ARN.
    """
    actions = sorted(a for s in deployed["role_policy"]["Statement"] for a in s["Action"]
                     if a.startswith("dynamodb:"))  # fmt: skip
    iam = aws_client("iam", dynamodb_server)
    iam.create_user(UserName="limber-function")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": "*"}]}  # fmt: skip
    iam.put_user_policy(UserName="limber-function", PolicyName="limber",
                        PolicyDocument=json.dumps(policy))  # fmt: skip
    key = iam.create_access_key(UserName="limber-function")["AccessKey"]
    return {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}


@pytest.fixture(scope="module")
def table(deployed) -> str:
    return deployed["outputs"]["ProgressTableName"]


@pytest.fixture(scope="module")
def lambda_runtime(lambda_build, dynamodb_server, deployed, function_credentials, tmp_path_factory):
    """(python, task folder, environment): the zip unpacked into an empty folder, as Lambda's
    /var/task, a fresh virtual environment holding only boto3, as Lambda's runtime does, and
    the environment variables the deployed stack gave the function."""
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
    deployed_variables = deployed["function"]["Configuration"]["Environment"]["Variables"]
    assert deployed_variables["LIMBER_STORE"].startswith("dynamodb:ask-Limber-default-skillStack-")
    env = {
        **deployed_variables,
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(task),  # Lambda puts /var/task first on sys.path
        "PYTHONNOUSERSITE": "1",
        "PYTHONDONTWRITEBYTECODE": "1",  # /var/task is read-only: no .pyc cache
        **{k: v for k, v in FAKE_AWS_ENV.items() if k.startswith(("AWS_CONFIG", "AWS_SHARED", "AWS_EC2"))},
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


def stored_item(server_url: str, table: str, user_id: str) -> dict | None:
    """The progress item for a user, read as an administrator (keyed by SHA-256 of the id)."""
    key = hashlib.sha256(user_id.encode("utf-8")).hexdigest()
    answer = aws_client("dynamodb", server_url).get_item(TableName=table, Key={"id": {"S": key}})
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
    lambda_runtime, dynamodb_server, table
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
    item = stored_item(dynamodb_server, table, user)
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
def test_bundle_forgets_a_user_when_the_skill_is_disabled(lambda_runtime, dynamodb_server, table):
    user = "amzn1.ask.account.BUNDLE-DISABLED"
    run_conversation(lambda_runtime, dynamodb_server, [
        alexa_event(user, {"type": "LaunchRequest"}, new_session=True),
        alexa_event(user, start_routine_request("hip_flexors", "hip flexors"), new_session=False),
    ])  # fmt: skip
    assert stored_item(dynamodb_server, table, user) is not None
    disabled = {"type": "AlexaSkillEvent.SkillDisabled",
                "eventCreationTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "eventPublishingTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "body": {"userInformationPersistenceStatus": "NOT_PERSISTED"}}  # fmt: skip
    run_conversation(lambda_runtime, dynamodb_server, [alexa_event(user, disabled)])
    assert stored_item(dynamodb_server, table, user) is None


# --- ask-cli from npm --------------------------------------------------------------------------


def test_ask_cli_is_pinned_with_the_antlr4ts_override():
    package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
    pinned = package["devDependencies"]["ask-cli"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned)  # an exact version, not a range
    assert package["overrides"] == {"antlr4ts": "0.5.0-alpha.4"}
    locked = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    assert locked[""]["devDependencies"]["ask-cli"] == pinned
    assert locked["node_modules/ask-cli"]["version"] == pinned
    antlr4ts = [v["version"] for k, v in locked.items() if k.endswith("node_modules/antlr4ts")]
    assert antlr4ts and set(antlr4ts) == {"0.5.0-alpha.4"}


def test_npx_ask_starts_from_the_installed_node_modules():
    if not (ROOT / "node_modules" / "ask-cli").is_dir() or not shutil.which("npx"):
        pytest.fail("npm and the ASK CLI are needed: run scripts/setup.sh --system (npm ci)")
    pinned = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["devDependencies"]["ask-cli"]
    env = {**os.environ, "ASK_SHARE_USAGE": "false", "npm_config_update_notifier": "false"}
    result = subprocess.run(["npx", "--no-install", "ask", "--version"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert (result.returncode, result.stdout.strip()) == (0, pinned), result.stderr
    # `ask deploy` gets as far as reading the project before it needs any credentials.
    result = subprocess.run(["npx", "--no-install", "ask", "deploy", "--help"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert result.returncode == 0 and "--target" in result.stdout, result.stderr


# --- set-up: make run installs only what running needs ----------------------------------------


def make_dry_run(target: str) -> list[str]:
    # Under `make test` this runs inside make: without its variables the dry run is a top one.
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}
    result = subprocess.run(["make", "-n", "--no-print-directory", target], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=30, check=True)  # fmt: skip
    return result.stdout.splitlines()


def test_make_run_sets_up_for_running_and_make_test_for_testing():
    assert make_dry_run("run") == ["scripts/setup.sh --run", ".venv/bin/limber"]
    test_steps = make_dry_run("test")
    assert test_steps[0] == "scripts/setup.sh --system"
    assert test_steps[-1] == ".venv/bin/python -m pytest"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == "make test"
    readme = README.read_text(encoding="utf-8")
    assert "make test" in readme and "make run" in readme


# Run in the new venv: every distribution installed, and those that `limber[local]` needs,
# following each installed distribution's own requirements (other extras left out).
RUNTIME_CLOSURE = """
import importlib.metadata as md, json, re
def name(requirement):
    return re.split(r"[\\s\\[<>=!~;(]", requirement, maxsplit=1)[0].lower().replace("_", "-")
needed, todo = set(), ["limber"]
while todo:
    current = todo.pop()
    if current in needed:
        continue
    needed.add(current)
    try:
        requirements = md.distribution(current).requires or []
    except md.PackageNotFoundError:
        continue
    for requirement in requirements:
        marker = requirement.partition(";")[2]
        if "extra ==" in marker and not (current == "limber" and '"local"' in marker):
            continue
        todo.append(name(requirement))
installed = {d.metadata["Name"].lower().replace("_", "-") for d in md.distributions()}
print(json.dumps({"needed": sorted(needed), "installed": sorted(installed)}))
"""


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~; ]", r, maxsplit=1)[0].lower() for r in requirements}


@pytest.mark.slow
def test_make_runs_install_is_only_the_project_and_its_local_extras(tmp_path):
    import tomllib

    copy = tmp_path / "clone"
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    # espeak-ng and aplay are looked up first and apt-installed when missing; that is not
    # what this test is about, so both are found (as no-ops) on PATH.
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for tool in ("espeak-ng", "aplay"):
        (stubs / tool).symlink_to(shutil.which("true"))
    env = {**os.environ, "PATH": f"{stubs}:{os.environ['PATH']}", "HOME": str(tmp_path / "home"),
           "XDG_DATA_HOME": str(tmp_path / "home" / "data")}  # fmt: skip
    for name in ("VIRTUAL_ENV", "LIMBER_STORE"):  # the console picks its default store
        env.pop(name, None)
    setup = subprocess.run(["bash", "scripts/setup.sh", "--run"], cwd=copy, env=env,
                           capture_output=True, text=True, timeout=900, check=False)  # fmt: skip
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert "limber[local]" in setup.stdout and "apt" not in setup.stdout

    closure = subprocess.run([str(copy / ".venv/bin/python"), "-c", RUNTIME_CLOSURE],
                             capture_output=True, text=True, check=True, env=env)  # fmt: skip
    found = json.loads(closure.stdout)
    extra = set(found["installed"]) - set(found["needed"]) - {"pip", "setuptools"}
    assert not extra, f"installed but not needed to run: {sorted(extra)}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert requirement_names(project["dependencies"] + project["optional-dependencies"]["local"]) <= set(
        found["installed"]
    )
    assert not {"pytest", "moto", "boto3", "cfn-lint", "flask", "pillow"} & set(found["installed"])
    assert (copy / ".venv/.limber-run").is_file() and not (copy / ".venv/.limber-dev").exists()

    # The console runs a whole routine on that install, with progress in SQLite.
    script = copy / "tests" / "conversations" / "hip_flexors_start_to_finish.yaml"
    console = subprocess.run([str(copy / ".venv/bin/limber"), "--text", "--script", str(script)],
                             cwd=copy, env=env, capture_output=True, text=True, timeout=120,
                             check=False)  # fmt: skip
    assert console.returncode == 0, console.stdout[-2000:] + console.stderr
    assert "all expectations met" in console.stdout
    assert (tmp_path / "home" / "data" / "limber" / "progress.sqlite3").is_file()

    again = subprocess.run(["bash", "scripts/setup.sh", "--run"], cwd=copy, env=env,
                           capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert (again.returncode, again.stdout) == (0, "")  # nothing left to install
